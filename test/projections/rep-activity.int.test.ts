import { RELATIVE_ERROR } from '../../src/projections/histogram';
import type { ReadModelAccess } from '../../src/projections/projection';
import { repActivityProjection } from '../../src/projections/rep-activity/projection';
import { repActivity } from '../../src/projections/rep-activity/queries';
import { readStoreFactories, type ReadStoreFixture } from '../support/readstores';
import { history, repDrafts } from './analytics.fixtures';
import { HISTORY } from './fixtures';
import { applyToStore } from './harness';

const JULY = { from: '2026-07-01T00:00:00.000Z', to: '2026-08-01T00:00:00.000Z' };
const AUGUST = { from: '2026-08-01T00:00:00.000Z', to: '2026-09-01T00:00:00.000Z' };

const near = (estimate: number | null, exact: number) => {
  expect(estimate).not.toBeNull();
  expect(Math.abs(estimate! - exact)).toBeLessThanOrEqual(exact * RELATIVE_ERROR + 1e-9);
};

/** Population z-score of `value` among `values`. */
const z = (value: number, values: number[]) => {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
  return (value - mean) / sd;
};

describe.each(readStoreFactories())('repActivity on %s', (_name, factory) => {
  let fixture: ReadStoreFixture;
  let access: ReadModelAccess;
  beforeAll(async () => {
    fixture = await factory();
    access = { store: fixture.store, collection: (c) => c };
    const events = [...HISTORY, ...history(repDrafts(), HISTORY)];
    await applyToStore(fixture.store, repActivityProjection, events, 7);
  });
  afterAll(() => fixture.cleanup());

  it('reports what each rep did in the period', async () => {
    const rows = await repActivity(access, JULY);
    expect(rows.map((r) => r.repId)).toEqual(['ora', 'rex', 'ula']);
    const [ora, rex, ula] = rows;
    expect(rex).toMatchObject({
      handoffs: 2,
      reassignedIn: 1,
      leadsOwned: 3,
      accepted: 3,
      rejected: 0,
      attempts: 2,
      firstContacts: 2,
      sqls: 2,
      won: 2,
      revenue: [{ currency: 'EUR', amount: 2000 }],
      conversion: 2 / 3,
      outlier: false,
    });
    near(rex!.medianMinutesToFirstContact, 90);
    near(rex!.p95MinutesToFirstContact, 320);
    expect(ora).toMatchObject({
      leadsOwned: 1,
      rejected: 1,
      conversion: 0,
      medianMinutesToFirstContact: null,
      revenue: [],
    });
    expect(ula).toMatchObject({ handoffs: 1, reassignedOut: 1, leadsOwned: 1, outlier: false });
  });

  it('reads facts under a team only when asked', async () => {
    const emea = await repActivity(access, { ...JULY, team: 'EMEA' });
    expect(emea.map((r) => [r.repId, r.handoffs, r.accepted, r.sqls, r.won])).toEqual([
      ['ora', 1, 0, 0, 0],
      ['rex', 2, 2, 1, 0],
    ]);
    const na = await repActivity(access, { ...JULY, team: 'NA' });
    expect(na.map((r) => [r.repId, r.reassignedIn, r.reassignedOut, r.won])).toEqual([
      ['rex', 1, 0, 2],
      ['ula', 0, 1, 0],
    ]);
  });

  it('flags the rep who calls far more than peers but converts below the median', async () => {
    const rows = await repActivity(access, AUGUST);
    expect(rows.map((r) => [r.repId, r.attempts, r.won, r.conversion, r.outlier])).toEqual([
      ['p1', 2, 1, 0.5, false],
      ['p2', 2, 2, 1, false],
      ['p3', 2, 1, 0.5, false],
      ['p4', 2, 1, 0.5, false],
      ['p5', 2, 1, 0.5, false],
      ['p6', 20, 0, 0, true],
      ['p7', 2, 1, 1, false],
    ]);
    const attempts = rows.map((r) => r.attempts);
    expect(rows[5]!.attemptsZScore).toBeCloseTo(z(20, attempts), 12);
    expect(rows[0]!.attemptsZScore).toBeCloseTo(z(2, attempts), 12);
    expect(rows[1]!.revenue).toEqual([
      { currency: 'EUR', amount: 1000 },
      { currency: 'USD', amount: 500 },
    ]);
    near(rows[5]!.medianMinutesToFirstContact, 120);
    near(rows[0]!.p95MinutesToFirstContact, 60);

    // Among EMEA's six reps p6 still stands out; NA's one rep cannot.
    const emea = await repActivity(access, { ...AUGUST, team: 'EMEA' });
    expect(emea.filter((r) => r.outlier).map((r) => r.repId)).toEqual(['p6']);
    expect(emea[5]!.attemptsZScore).toBeCloseTo(z(20, [2, 2, 2, 2, 2, 20]), 12);
    const na = await repActivity(access, { ...AUGUST, team: 'NA' });
    expect(na).toEqual([
      expect.objectContaining({ repId: 'p7', attemptsZScore: 0, outlier: false }),
    ]);
  });

  it('answers an empty period with no rows', async () => {
    expect(
      await repActivity(access, {
        from: '2025-01-01T00:00:00.000Z',
        to: '2026-01-01T00:00:00.000Z',
      }),
    ).toEqual([]);
    expect(await repActivity(access, { from: AUGUST.to, to: AUGUST.from })).toEqual([]);
    expect(await repActivity(access, { ...AUGUST, team: 'APAC' })).toEqual([]);
  });
});
