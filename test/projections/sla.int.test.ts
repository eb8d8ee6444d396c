import { RELATIVE_ERROR } from '../../src/projections/histogram';
import type { ReadModelAccess } from '../../src/projections/projection';
import { slaProjection } from '../../src/projections/sla/projection';
import {
  listSlaBreaches,
  slaCompliance,
  type SlaBreachFilter,
} from '../../src/projections/sla/queries';
import { readStoreFactories, type ReadStoreFixture } from '../support/readstores';
import { at, D, HISTORY } from './fixtures';
import { applyToStore } from './harness';

const FROM = '2026-07-01T00:00:00.000Z';
const TO = '2026-07-04T00:00:00.000Z';

const near = (estimate: number | null, exact: number) => {
  expect(estimate).not.toBeNull();
  expect(Math.abs(estimate! - exact)).toBeLessThanOrEqual(exact * RELATIVE_ERROR + 1e-9);
};

describe.each(readStoreFactories())('SLA queries on %s', (_name, factory) => {
  let fixture: ReadStoreFixture;
  let access: ReadModelAccess;
  beforeAll(async () => {
    fixture = await factory();
    access = { store: fixture.store, collection: (c) => c };
    await applyToStore(fixture.store, slaProjection, HISTORY, 6);
  });
  afterAll(() => fixture.cleanup());

  it('reports compliance per rep', async () => {
    const rows = await slaCompliance(access, { from: FROM, to: TO, groupBy: 'REP' });
    expect(rows.map((r) => r.key)).toEqual(['ora', 'rex', 'ula']);
    const rex = rows[1]!;
    expect(rex).toMatchObject({
      handoffs: 2,
      acceptedInTime: 2,
      acceptedLate: 1,
      rejected: 0,
      breaches: 2,
      breachesByKind: { ACCEPTANCE: 1, FIRST_CONTACT: 1 },
      firstContacts: 2,
      reassignedIn: 1,
    });
    // Accepted after 30, 200 and 40 minutes; first contact after 90 and 320.
    near(rex.medianMinutesToAccept, 40);
    near(rex.p95MinutesToAccept, 200);
    near(rex.medianMinutesToFirstContact, 90);
    near(rex.p95MinutesToFirstContact, 320);
    expect(rows[0]).toMatchObject({
      key: 'ora',
      handoffs: 1,
      rejected: 1,
      rejectedByReason: { NOT_ICP: 1 },
      medianMinutesToAccept: null,
    });
    expect(rows[2]).toMatchObject({ key: 'ula', handoffs: 1, reassignedOut: 1, breaches: 0 });
  });

  it('reports compliance per team', async () => {
    const rows = await slaCompliance(access, { from: FROM, to: TO, groupBy: 'TEAM' });
    expect(
      rows.map((r) => [
        r.key,
        r.handoffs,
        r.acceptedInTime,
        r.acceptedLate,
        r.rejected,
        r.breaches,
      ]),
    ).toEqual([
      ['EMEA', 3, 1, 1, 1, 1],
      ['NA', 1, 1, 0, 0, 1],
    ]);
  });

  it('reads whole UTC days of the period only', async () => {
    const rows = await slaCompliance(access, {
      from: '2026-07-02T08:00:00.000Z',
      to: '2026-07-02T09:00:00.000Z',
      groupBy: 'REP',
      filter: { repId: ['rex'] },
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ key: 'rex', handoffs: 0, acceptedInTime: 1, breaches: 1 });
    near(rows[0]!.medianMinutesToAccept, 40);
    expect(await slaCompliance(access, { from: TO, to: FROM, groupBy: 'REP' })).toEqual([]);
  });

  const breaches = async (filter: SlaBreachFilter = {}) =>
    (await listSlaBreaches(access, { filter })).edges.map((e) => `${e.node.leadId}:${e.node.kind}`);

  it('lists breaches newest deadline first, with the owner at the deadline', async () => {
    const page = await listSlaBreaches(access);
    expect(page.totalCount).toBe(2);
    expect(page.edges.map((e) => e.node)).toEqual([
      {
        leadId: 'L3',
        handoffId: 'H3b',
        kind: 'FIRST_CONTACT',
        deadline: at(D + 420),
        detectedAt: at(D + 425),
        ownerRepId: 'rex',
        team: 'NA',
      },
      {
        leadId: 'L2',
        handoffId: 'H2',
        kind: 'ACCEPTANCE',
        deadline: at(160),
        detectedAt: at(165),
        ownerRepId: 'rex',
        team: 'EMEA',
      },
    ]);
  });

  it('pages and filters the breach list', async () => {
    const first = await listSlaBreaches(access, { first: 1 });
    expect(first.edges.map((e) => e.node.leadId)).toEqual(['L3']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const next = await listSlaBreaches(access, { first: 1, after: first.pageInfo.endCursor });
    expect(next.edges.map((e) => e.node.leadId)).toEqual(['L2']);
    expect(next.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });

    expect(await breaches({ team: 'EMEA' })).toEqual(['L2:ACCEPTANCE']);
    expect(await breaches({ kind: 'FIRST_CONTACT' })).toEqual(['L3:FIRST_CONTACT']);
    expect(await breaches({ repId: 'rex', from: at(D) })).toEqual(['L3:FIRST_CONTACT']);
    expect(await breaches({ to: at(D) })).toEqual(['L2:ACCEPTANCE']);
    expect(await breaches({ repId: 'ora' })).toEqual([]);
  });
});
