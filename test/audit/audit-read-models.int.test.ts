import type { ReadModelAccess } from '../../src/projections/projection';
import { auditTrailProjection } from '../../src/projections/audit-trail/projection';
import { listAuditTrail } from '../../src/projections/audit-trail/queries';
import { droppedLeadsProjection } from '../../src/projections/dropped-leads/projection';
import { listDroppedLeads } from '../../src/projections/dropped-leads/queries';
import { InvalidPageError } from '../../src/projections/connection';
import { readStoreFactories, type ReadStoreFixture } from '../support/readstores';
import { at, D, HISTORY } from '../projections/fixtures';
import { applyToStore } from '../projections/harness';

/** The shared history with three actors taking turns, so the trail has someone to filter on. */
const ACTORS = ['mia', 'rex', 'sla-monitor'];
const EVENTS = HISTORY.map((e, i) => ({ ...e, actorId: ACTORS[i % 3]! }));

describe.each(readStoreFactories())('audit read models on %s', (_name, factory) => {
  let fixture: ReadStoreFixture;
  let access: ReadModelAccess;
  beforeAll(async () => {
    fixture = await factory();
    access = { store: fixture.store, collection: (c) => c };
    await applyToStore(fixture.store, auditTrailProjection, EVENTS, 5);
    await applyToStore(fixture.store, droppedLeadsProjection, EVENTS, 5);
  });
  afterAll(() => fixture.cleanup());

  describe('auditTrail', () => {
    const recordedOrder = (actorId?: string) =>
      EVENTS.filter((e) => !actorId || e.actorId === actorId)
        .sort((a, b) =>
          a.recordedAt === b.recordedAt
            ? a.position < b.position
              ? -1
              : 1
            : a.recordedAt < b.recordedAt
              ? -1
              : 1,
        )
        .map((e) => e.position);

    it("pages one actor's events forward and backward in recorded order", async () => {
      const expected = recordedOrder('rex');
      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page = await listAuditTrail(access, { first: 4, after, filter: { actorId: 'rex' } });
        expect(page.totalCount).toBe(expected.length);
        seen.push(...page.edges.map((e) => e.node.position));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      expect(seen).toEqual(expected);
      expect(new Set(seen).size).toBe(seen.length);

      const last = await listAuditTrail(access, { last: 3, filter: { actorId: 'rex' } });
      expect(last.edges.map((e) => e.node.position)).toEqual(expected.slice(-3));
      expect(last.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
      const before = await listAuditTrail(access, {
        last: 3,
        before: last.pageInfo.startCursor,
        filter: { actorId: 'rex' },
      });
      expect(before.edges.map((e) => e.node.position)).toEqual(expected.slice(-6, -3));
      expect(before.pageInfo.hasNextPage).toBe(true);
    });

    it('filters by recorded period and event types', async () => {
      const from = at(D);
      const to = at(2 * D);
      const page = await listAuditTrail(access, {
        first: 100,
        filter: { from, to, types: ['LeadHandedOff', 'HandoffRejected'] },
      });
      const expected = EVENTS.filter(
        (e) =>
          e.recordedAt >= from &&
          e.recordedAt < to &&
          ['LeadHandedOff', 'HandoffRejected'].includes(e.type),
      );
      expect(page.edges.map((e) => [e.node.type, e.node.position])).toEqual(
        expected.map((e) => [e.type, e.position]),
      );
      expect(page.edges.map((e) => e.node.actorId)).toEqual(expected.map((e) => e.actorId));
      expect(page.totalCount).toBe(3);
    });

    it('refuses a cursor of another connection', async () => {
      const dropped = await listDroppedLeads(access, { first: 1, from: at(0), to: at(30 * D) });
      await expect(
        listAuditTrail(access, { first: 1, after: dropped.pageInfo.endCursor }),
      ).rejects.toBeInstanceOf(InvalidPageError);
    });
  });

  describe('droppedLeads', () => {
    it('lists dropped handoffs of the period, latest drop first, with owners and proof', async () => {
      const page = await listDroppedLeads(access, { from: at(0), to: at(30 * D) });
      expect(page.totalCount).toBe(3);
      expect(page.edges.map((e) => [e.node.leadId, e.node.handoffId, e.node.droppedAt])).toEqual([
        ['L3', 'H3b', at(D + 420)],
        ['L3', 'H3a', at(D + 150)],
        ['L2', 'H2', at(160)],
      ]);
      const [h3b] = page.edges;
      expect(h3b!.node.owners.map((o) => o.repId)).toEqual(['ula', 'rex']);
      expect(h3b!.node.drops[0]).toMatchObject({
        reason: 'FIRST_CONTACT_BREACHED',
        ownerRepId: 'rex',
        event: { type: 'SlaBreached', streamId: 'lead-L3' },
      });
      expect(h3b!.node).not.toHaveProperty('dropId');
    });

    it('filters on the drop instant and pages both ways', async () => {
      const within = await listDroppedLeads(access, { from: at(D), to: at(D + 200) });
      expect(within.edges.map((e) => e.node.handoffId)).toEqual(['H3a']);
      const first = await listDroppedLeads(access, { first: 2, from: at(0), to: at(30 * D) });
      expect(first.pageInfo.hasNextPage).toBe(true);
      const rest = await listDroppedLeads(access, {
        first: 2,
        after: first.pageInfo.endCursor,
        from: at(0),
        to: at(30 * D),
      });
      expect(rest.edges.map((e) => e.node.handoffId)).toEqual(['H2']);
      const back = await listDroppedLeads(access, {
        last: 2,
        before: rest.pageInfo.startCursor,
        from: at(0),
        to: at(30 * D),
      });
      expect(back.edges.map((e) => e.node.handoffId)).toEqual(['H3b', 'H3a']);
    });
  });
});
