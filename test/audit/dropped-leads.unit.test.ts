import { LEAD_EVENTS, type LeadEventData } from '../../src/domain/lead/events';
import {
  DROPPED_LEADS,
  dropDocId,
  droppedLeadsProjection,
  type HandoffRecord,
} from '../../src/projections/dropped-leads/projection';
import type { ProjectionEvent } from '../../src/projections/projection';
import { expectSameDocumentsAnyBatching } from '../projections/analytics.fixtures';
import { at, D, HISTORY } from '../projections/fixtures';
import { MemoryReadModel, positionOf } from '../projections/harness';

const record = (model: MemoryReadModel, leadId: string, handoffId: string) => {
  const doc = model.get(DROPPED_LEADS, dropDocId(leadId, handoffId));
  if (!doc) return undefined;
  const { _id, _pos, ...fields } = doc;
  return fields as unknown as HandoffRecord;
};

const positionOfEvent = (type: string, leadId: string, nth = 0): string =>
  HISTORY.filter((e) => e.type === type && e.streamId === `lead-${leadId}`)[nth]!.position;

describe('droppedLeads projection over the shared history', () => {
  const model = new MemoryReadModel(droppedLeadsProjection).apply(HISTORY, 4);

  it('keeps a handoff met in time undropped', () => {
    expect(record(model, 'L1', 'H1')).toMatchObject({
      status: 'ACCEPTED',
      firstContactAt: at(150),
      closedBy: 'LeadConverted',
      drops: [],
      droppedAt: null,
    });
  });

  it('records a rejection with the rep who rejected it and the event that proves it', () => {
    const h = record(model, 'L3', 'H3a')!;
    expect(h).toMatchObject({
      status: 'REJECTED',
      droppedAt: at(D + 150),
      closedAt: at(D + 150),
      drops: [
        {
          reason: 'REJECTED',
          at: at(D + 150),
          ownerRepId: 'ora',
          detail: 'NOT_ICP',
          event: {
            type: 'HandoffRejected',
            position: positionOfEvent('HandoffRejected', 'L3'),
            streamId: 'lead-L3',
            occurredAt: at(D + 150),
            actorId: 'tester',
          },
        },
      ],
    });
    // The free-text note (personal data) is not kept.
    expect(JSON.stringify(h)).not.toContain('555-0100');
  });

  it('follows the owner through a reassignment and names the owner at the breach', () => {
    const h = record(model, 'L3', 'H3b')!;
    expect(h.owners.map((o) => [o.repId, o.since, o.event.type])).toEqual([
      ['ula', at(D + 180), 'LeadHandedOff'],
      ['rex', at(D + 200), 'LeadReassigned'],
    ]);
    expect(h.drops).toEqual([
      expect.objectContaining({
        reason: 'FIRST_CONTACT_BREACHED',
        at: at(D + 420),
        ownerRepId: 'rex',
        event: expect.objectContaining({ type: 'SlaBreached' }) as unknown,
      }),
    ]);
    expect(h.droppedAt).toBe(at(D + 420));
    // Later attempts and the SQL add nothing: the first contact is the proof that matters.
    expect(h.events.map((e) => e.type)).toEqual([
      'LeadHandedOff',
      'LeadReassigned',
      'HandoffAccepted',
      'SlaBreached',
      'ContactAttemptLogged',
      'LeadConverted',
    ]);
  });

  it('adds the missing contact of a handoff recycled after its deadline, dated at the deadline', () => {
    const h = record(model, 'L2', 'H2')!;
    expect(h.drops.map((d) => [d.reason, d.at, d.ownerRepId, d.event.type])).toEqual([
      ['ACCEPTANCE_BREACHED', at(160), 'rex', 'SlaBreached'],
      ['NO_CONTACT', at(340), 'rex', 'LeadRecycled'],
    ]);
    expect(h.droppedAt).toBe(at(160));
  });

  it('gives the same documents whatever the batching', () => {
    expectSameDocumentsAnyBatching(droppedLeadsProjection, HISTORY);
  });
});

describe('droppedLeads projection, missing contacts', () => {
  let n = 0;
  const event = <K extends keyof LeadEventData>(
    type: K,
    minutes: number,
    data: LeadEventData[K],
    actorId = 'rep',
  ): ProjectionEvent => ({
    type,
    data: LEAD_EVENTS[type].parse(data),
    streamId: `lead-${data.leadId}`,
    revision: n,
    position: positionOf(n++),
    occurredAt: at(minutes),
    recordedAt: at(minutes),
    actorId,
  });
  const handoff = (leadId: string, minutes: number) =>
    event(
      'LeadHandedOff',
      minutes,
      {
        leadId,
        handoffId: 'H',
        repId: 'rex',
        team: null,
        agreementId: 'builtin',
        agreementVersion: 0,
        acceptBy: at(minutes + 60),
        firstContactBy: at(minutes + 240),
        minAttempts: 3,
        attemptsBy: at(minutes + 7 * D),
        touchSummary: { count: 0, first: null, last: null },
      },
      'mia',
    );
  const accept = (leadId: string, minutes: number) =>
    event('HandoffAccepted', minutes, {
      leadId,
      handoffId: 'H',
      repId: 'rex',
      minutesToAccept: minutes,
      withinSla: true,
    });

  it('dates a late first contact at the deadline, with its attempt as proof', () => {
    const model = new MemoryReadModel(droppedLeadsProjection).apply([
      handoff('A', 0),
      accept('A', 10),
      event('ContactAttemptLogged', 300, {
        leadId: 'A',
        handoffId: 'H',
        repId: 'rex',
        attemptNo: 1,
        channel: 'CALL',
        outcome: 'NO_ANSWER',
      }),
    ]);
    expect(record(model, 'A', 'H')).toMatchObject({
      droppedAt: at(240),
      drops: [
        {
          reason: 'NO_CONTACT',
          at: at(240),
          ownerRepId: 'rex',
          detail: `first contact only at ${at(300)}`,
          event: { type: 'ContactAttemptLogged', actorId: 'rep' },
        },
      ],
    });
  });

  it('counts an accepted lead let go without an attempt before the deadline, not a pending one', () => {
    const model = new MemoryReadModel(droppedLeadsProjection).apply([
      handoff('B', 0),
      accept('B', 10),
      event('LeadDisqualified', 100, {
        leadId: 'B',
        reason: 'student',
        fromStage: 'SAL',
        ownerRepId: 'rex',
      }),
      handoff('C', 0),
      event('LeadRecycled', 100, {
        leadId: 'C',
        reason: 'not now',
        fromStage: 'HANDED_OFF',
        ownerRepId: 'rex',
      }),
    ]);
    expect(record(model, 'B', 'H')).toMatchObject({
      droppedAt: at(100),
      closedBy: 'LeadDisqualified',
      drops: [{ reason: 'NO_CONTACT', at: at(100), ownerRepId: 'rex' }],
    });
    expect(record(model, 'C', 'H')).toMatchObject({ droppedAt: null, drops: [] });
  });
});
