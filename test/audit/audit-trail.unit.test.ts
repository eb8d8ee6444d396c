import {
  AUDIT_TRAIL,
  auditTrailProjection,
  withoutPii,
} from '../../src/projections/audit-trail/projection';
import { expectSameDocumentsAnyBatching } from '../projections/analytics.fixtures';
import { HISTORY } from '../projections/fixtures';
import { MemoryReadModel } from '../projections/harness';

describe('auditTrail projection', () => {
  const model = new MemoryReadModel(auditTrailProjection).apply(HISTORY, 7);

  it('keeps one document per event, keyed by position, with actor and both times', () => {
    const docs = Object.values(model.all(AUDIT_TRAIL));
    expect(docs).toHaveLength(HISTORY.length);
    const touch = HISTORY.find((e) => e.type === 'TouchRecorded' && e.recordedAt !== e.occurredAt)!;
    expect(model.get(AUDIT_TRAIL, touch.position)).toMatchObject({
      position: touch.position,
      streamId: 'lead-L1',
      revision: touch.revision,
      type: 'TouchRecorded',
      occurredAt: touch.occurredAt,
      recordedAt: touch.recordedAt,
      actorId: 'tester',
      actorRoles: [],
      correlationId: null,
      data: touch.data,
      redacted: [],
    });
  });

  it('never stores personal data: PII fields are left out and named', () => {
    const captured = HISTORY.find((e) => e.type === 'LeadCaptured')!;
    const doc = model.get(AUDIT_TRAIL, captured.position)!;
    expect(doc.data).not.toHaveProperty('email');
    expect(doc.data).toMatchObject({ leadId: 'L1', segment: 'SMB' });
    expect(doc.redacted).toEqual(expect.arrayContaining(['email', 'name']));
    const stored = JSON.stringify(model.all(AUDIT_TRAIL));
    expect(stored).not.toContain('l1@example.com');
    // Free text the PII vault encrypts is personal too (a rejection note here).
    expect(stored).not.toContain('555-0100');
    const rejected = HISTORY.find((e) => e.type === 'HandoffRejected')!;
    expect(model.get(AUDIT_TRAIL, rejected.position)!.redacted).toEqual(['note']);
    expect(withoutPii('LeadCaptured', { leadId: 'x', email: 'a@b.c', name: null })).toEqual({
      data: { leadId: 'x' },
      redacted: ['email'],
    });
  });

  it('takes the actor roles and correlation id when the runner passes them', () => {
    const [first] = HISTORY;
    const [change] = auditTrailProjection.project(
      { ...first!, actorRoles: ['MARKETING'], correlationId: 'req-1' },
      { get: () => undefined },
    );
    expect(change!.op).toMatchObject({
      kind: 'set',
      fields: { actorRoles: ['MARKETING'], correlationId: 'req-1' },
    });
  });

  it("handles every domain event type, not the ledger's own anchors", () => {
    expect(auditTrailProjection.handles.has('SlaBreached')).toBe(true);
    expect(auditTrailProjection.handles.has('DealWon')).toBe(true);
    expect(auditTrailProjection.handles.has('LedgerAnchored')).toBe(false);
    expect(auditTrailProjection.handles.has('LedgerHeadsRecorded')).toBe(false);
  });

  it('gives the same documents whatever the batching', () => {
    expectSameDocumentsAnyBatching(auditTrailProjection, HISTORY);
  });
});
