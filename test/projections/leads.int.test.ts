import { InvalidPageError } from '../../src/projections/connection';
import { leadsProjection } from '../../src/projections/leads/projection';
import {
  getLead,
  getLeads,
  listLeads,
  listTouches,
  type ListLeadsArgs,
} from '../../src/projections/leads/queries';
import type { ReadModelAccess } from '../../src/projections/projection';
import { readStoreFactories, type ReadStoreFixture } from '../support/readstores';
import { at, D, HISTORY, historyBefore } from './fixtures';
import { applyToStore } from './harness';

describe.each(readStoreFactories())('leads queries on %s', (_name, factory) => {
  let fixture: ReadStoreFixture;
  let access: ReadModelAccess;
  beforeAll(async () => {
    fixture = await factory();
    access = { store: fixture.store, collection: (c) => c };
    await applyToStore(fixture.store, leadsProjection, HISTORY);
  });
  afterAll(() => fixture.cleanup());

  const ids = async (args: ListLeadsArgs = {}) =>
    (await listLeads(access, args)).edges.map((e) => e.node.id);

  it('reads one lead with its derived stage, and none for an unknown id', async () => {
    const l1 = await getLead(access, 'L1');
    expect(l1).toMatchObject({
      id: 'L1',
      stage: 'WON',
      lifecycleStage: 'OPPORTUNITY',
      ownerRepId: 'rex',
      email: 'l1@example.com',
      touchCount: 2,
      slaStatus: 'MET',
      deals: { open: 0, won: 1, lost: 0 },
      dealIds: ['D1'],
      stageDates: { LEAD: at(0), WON: at(10 * D) },
    });
    expect(l1?.currentHandoff).toMatchObject({ handoffId: 'H1', status: 'ACCEPTED', sla: 'MET' });
    expect(await getLead(access, 'nope')).toBeNull();
  });

  it('reads many in the order asked, null where missing (for DataLoader)', async () => {
    const leads = await getLeads(access, ['L3', 'nope', 'L1']);
    expect(leads.map((l) => l && [l.id, l.stage])).toEqual([['L3', 'WON'], null, ['L1', 'WON']]);
  });

  it('lists newest first by default, with a total count', async () => {
    const page = await listLeads(access);
    expect(page.edges.map((e) => e.node.id)).toEqual(['L4', 'L3', 'L2', 'L1']);
    expect(page.totalCount).toBe(4);
    expect(page.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
  });

  it('pages forward and backward with opaque cursors', async () => {
    const first = await listLeads(access, { first: 2 });
    expect(first.edges.map((e) => e.node.id)).toEqual(['L4', 'L3']);
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(first.pageInfo.endCursor).toBe(first.edges[1]!.cursor);

    const second = await listLeads(access, { first: 2, after: first.pageInfo.endCursor });
    expect(second.edges.map((e) => e.node.id)).toEqual(['L2', 'L1']);
    expect(second.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    expect(second.totalCount).toBe(4);

    const last = await listLeads(access, { last: 2 });
    expect(last.edges.map((e) => e.node.id)).toEqual(['L2', 'L1']);
    expect(last.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });

    const back = await listLeads(access, { last: 1, before: last.pageInfo.startCursor });
    expect(back.edges.map((e) => e.node.id)).toEqual(['L3']);
    expect(back.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
  });

  it('orders by last update, either way', async () => {
    // updatedAt: L2 at 2D, L4 at 3D, L3 at 8D, L1 at 10D.
    expect(await ids({ orderBy: { field: 'UPDATED_AT', direction: 'ASC' } })).toEqual([
      'L2',
      'L4',
      'L3',
      'L1',
    ]);
    const desc = { field: 'UPDATED_AT', direction: 'DESC' } as const;
    const page = await listLeads(access, { orderBy: desc, first: 3 });
    expect(page.edges.map((e) => e.node.id)).toEqual(['L1', 'L3', 'L4']);
    expect(await ids({ orderBy: desc, after: page.pageInfo.endCursor })).toEqual(['L2']);
  });

  it('filters by stage, deal outcomes included', async () => {
    expect(await ids({ filter: { stage: ['WON'] } })).toEqual(['L3', 'L1']);
    expect(await ids({ filter: { stage: ['RECYCLED', 'DISQUALIFIED'] } })).toEqual(['L4', 'L2']);
    expect(await ids({ filter: { stage: ['OPPORTUNITY', 'LOST', 'MQL'] } })).toEqual([]);
    expect(await ids({ filter: { stage: ['RECYCLED', 'WON'] } })).toEqual(['L3', 'L2', 'L1']);
  });

  it('filters by owner, team, segment, channel, campaign, SLA status and dates', async () => {
    expect(await ids({ filter: { ownerRepId: ['rex'] } })).toEqual(['L3', 'L1']);
    expect(await ids({ filter: { team: ['NA'] } })).toEqual(['L3']);
    expect(await ids({ filter: { segment: ['SMB'] } })).toEqual(['L2', 'L1']);
    expect(await ids({ filter: { channel: ['EVENT', 'PAID_SEARCH'] } })).toEqual(['L4', 'L3']);
    expect(await ids({ filter: { campaignId: ['cmp-a'] } })).toEqual(['L2', 'L1']);
    expect(await ids({ filter: { slaStatus: ['BREACHED'] } })).toEqual(['L3', 'L2']);
    expect(await ids({ filter: { capturedAt: { from: at(D), to: at(3 * D) } } })).toEqual([
      'L4',
      'L3',
    ]);
    expect(await ids({ filter: { updatedAt: { to: at(3 * D) } } })).toEqual(['L2']);
    const both = await listLeads(access, { filter: { segment: ['SMB'], stage: ['WON'] } });
    expect(both.edges.map((e) => e.node.id)).toEqual(['L1']);
    expect(both.totalCount).toBe(1);
    const none = await listLeads(access, { filter: { ownerRepId: [] } });
    expect(none.totalCount).toBe(0);
  });

  it('refuses cursors it did not issue for this ordering, and bad sizes', async () => {
    const page = await listLeads(access, { first: 1 });
    const cursor = page.pageInfo.endCursor;
    await expect(
      listLeads(access, { after: cursor, orderBy: { field: 'UPDATED_AT', direction: 'ASC' } }),
    ).rejects.toThrow(InvalidPageError);
    await expect(listLeads(access, { after: 'not-a-cursor' })).rejects.toThrow(InvalidPageError);
    await expect(listLeads(access, { first: 1, last: 1 })).rejects.toThrow(InvalidPageError);
    await expect(listLeads(access, { first: 1, before: cursor })).rejects.toThrow(InvalidPageError);
    await expect(listLeads(access, { first: -1 })).rejects.toThrow(InvalidPageError);
    await expect(listTouches(access, 'L1', { after: cursor })).rejects.toThrow(InvalidPageError);
  });

  it('pages a lead’s touches oldest first', async () => {
    const touches = await listTouches(access, 'L1');
    expect(touches.edges.map((e) => [e.node.touchId, e.node.occurredAt])).toEqual([
      ['t2', at(2)],
      ['t1', at(5)],
    ]);
    expect(touches.totalCount).toBe(2);
    expect(touches.edges[0]!.node).toEqual({
      leadId: 'L1',
      touchId: 't2',
      channel: 'WEBINAR',
      campaignId: 'cmp-a',
      contentId: 'c-9',
      kind: 'MARKETING',
      createsLead: true,
      occurredAt: at(2),
    });
    const first = await listTouches(access, 'L1', { first: 1 });
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = await listTouches(access, 'L1', { after: first.pageInfo.endCursor });
    expect(rest.edges.map((e) => e.node.touchId)).toEqual(['t1']);
    expect((await listTouches(access, 'L2')).totalCount).toBe(0);
  });
});

describe.each(readStoreFactories())('lead stage from deals on %s', (_name, factory) => {
  it('lists a lead whose only deal is lost as LOST, and an open one as OPPORTUNITY', async () => {
    const fixture = await factory();
    try {
      const access = { store: fixture.store, collection: (c: string) => c };
      await applyToStore(fixture.store, leadsProjection, historyBefore('DealReopened', 'deal-D2'));
      const stages = async (stage: 'LOST' | 'OPPORTUNITY') =>
        (await listLeads(access, { filter: { stage: [stage] } })).edges.map((e) => e.node.id);
      expect(await stages('LOST')).toEqual(['L3']);
      expect(await stages('OPPORTUNITY')).toEqual(['L1']);
      expect((await getLead(access, 'L3'))?.stage).toBe('LOST');
    } finally {
      await fixture.cleanup();
    }
  });
});
