import { goalsProjection } from '../../src/projections/goals/projection';
import { goalProgress } from '../../src/projections/goals/queries';
import type { ReadModelAccess } from '../../src/projections/projection';
import { readStoreFactories, type ReadStoreFixture } from '../support/readstores';
import { GOALS_HISTORY } from './analytics.fixtures';
import { applyToStore } from './harness';

const NOW = '2026-08-16T12:00:00.000Z';
/** 2026-07-01 to NOW: 46.5 of Q3's 92 days. */
const ELAPSED = 46.5 / 92;

describe.each(readStoreFactories())('goalProgress on %s', (_name, factory) => {
  let fixture: ReadStoreFixture;
  let access: ReadModelAccess;
  beforeAll(async () => {
    fixture = await factory();
    access = { store: fixture.store, collection: (c) => c };
    await applyToStore(fixture.store, goalsProjection, GOALS_HISTORY, 6);
  });
  afterAll(() => fixture.cleanup());

  it('compares the latest targets with the actuals so far', async () => {
    const p = await goalProgress(access, { period: '2026-Q3', now: NOW });
    expect(p).toMatchObject({
      period: '2026-Q3',
      periodStart: '2026-07-01',
      periodEnd: '2026-09-30',
      now: NOW,
      targetsSetAt: '2026-06-25T09:00:00.000Z',
      currency: 'EUR',
      sals: 3,
      // W4 was reopened; W6 is won after `now`.
      wonDeals: 1,
      openedDeals: 3,
      revenueByCurrency: [{ currency: 'EUR', amount: 2000 }],
      pipelineByCurrency: [{ currency: 'EUR', amount: 11000 }],
    });
    expect(p.elapsed).toBeCloseTo(ELAPSED, 12);
    expect(p.revenue).toEqual({
      target: 12000,
      actual: 2000,
      expectedByNow: 12000 * p.elapsed,
      pace: 2000 / (12000 * p.elapsed),
      remaining: 10000,
    });
    expect(p.pipeline).toMatchObject({ target: 30000, actual: 11000, remaining: 19000 });
    expect(p.mqls).toMatchObject({ target: 40, actual: 5, remaining: 35 });
    expect(p.sqls).toMatchObject({ target: 10, actual: 2, pace: 2 / (10 * p.elapsed) });
  });

  it('derives the reverse funnel from the trailing 90 days', async () => {
    const { reverseFunnel: f } = await goalProgress(access, { period: '2026-Q3', now: NOW });
    // 05-18..08-15: 15 MQLs, 9 SALs, 6 SQLs, 3 deals won for 6000 EUR.
    expect(f).toMatchObject({
      windowStart: '2026-05-18',
      windowEnd: '2026-08-15',
      averageDealSize: 2000,
      mqlToSal: 9 / 15,
      salToSql: 6 / 9,
      mqlToSql: 6 / 15,
      sqlToWon: 3 / 6,
    });
    // 12000 / 2000 = 6 deals; / 0.5 = 12 SQLs; / (6/9) = 18 SALs; / 0.4 = 30 MQLs.
    expect([f.deals, f.sqls, f.sals, f.mqls].map((m) => [m.target, m.actual])).toEqual([
      [6, 1],
      [12, 2],
      [18, 3],
      [30, 5],
    ]);
    expect(f.deals.expectedByNow).toBeCloseTo(6 * ELAPSED, 12);
    expect(f.deals.pace).toBeCloseTo(1 / (6 * ELAPSED), 12);
    expect(f.mqls.remaining).toBe(25);
  });

  it('measures a finished period whole, its window ending with it', async () => {
    const p = await goalProgress(access, { period: '2026-07', now: NOW });
    expect(p).toMatchObject({
      elapsed: 1,
      revenue: { target: 3000, actual: 2000, expectedByNow: 3000, remaining: 1000 },
      mqls: { target: 4, actual: 5, pace: 1.25, remaining: 0 },
      sqls: { target: null, actual: 2, expectedByNow: null, pace: null, remaining: null },
      pipeline: { target: null, actual: 6000 },
    });
    expect(p.reverseFunnel).toMatchObject({
      windowStart: '2026-05-03',
      windowEnd: '2026-07-31',
      averageDealSize: 2000,
      deals: { target: 2, actual: 1 },
    });
  });

  it('gives nulls where targets or trailing data are missing', async () => {
    const p = await goalProgress(access, { period: '2026-Q4', now: '2026-10-10T00:00:00.000Z' });
    expect(p).toMatchObject({
      targetsSetAt: null,
      currency: 'EUR',
      revenue: { target: null, actual: 0, pace: null },
      mqls: { target: null, actual: 0 },
    });
    // 07-12..10-09: W6 won, no lead entered a stage.
    expect(p.reverseFunnel).toMatchObject({
      averageDealSize: 1000,
      mqlToSal: null,
      sqlToWon: null,
      deals: { target: null, actual: 0 },
      mqls: { target: null },
    });

    const empty = await goalProgress(access, { period: '2031', now: '2030-06-01T00:00:00.000Z' });
    expect(empty).toMatchObject({
      elapsed: 0,
      currency: null,
      targetsSetAt: null,
      revenue: { target: null, actual: 0, expectedByNow: null, pace: null },
      wonDeals: 0,
      revenueByCurrency: [],
      reverseFunnel: { averageDealSize: null, mqlToSql: null, deals: { target: null } },
    });
  });

  it('never adds currencies: mixed deals need the goal’s currency named', async () => {
    const now = '2027-01-10T00:00:00.000Z';
    const mixed = await goalProgress(access, { period: '2027-01', now });
    expect(mixed).toMatchObject({
      currency: null,
      revenue: { target: 5000, actual: null, pace: null },
      reverseFunnel: { averageDealSize: null, deals: { target: null, actual: null } },
    });
    const usd = await goalProgress(access, { period: '2027-01', now, currency: 'USD' });
    expect(usd).toMatchObject({
      currency: 'USD',
      revenue: { target: 5000, actual: 0, remaining: 5000 },
      // Only the USD deal sets the size; no SQL in the window, so no SQLs needed can be derived.
      reverseFunnel: {
        averageDealSize: 1500,
        deals: { target: 4, actual: 0 },
        sqls: { target: null },
      },
    });
  });

  it('refuses a malformed period or instant', async () => {
    await expect(goalProgress(access, { period: '2026-Q5', now: NOW })).rejects.toThrow(RangeError);
    await expect(goalProgress(access, { period: '2026', now: 'soon' })).rejects.toThrow(RangeError);
  });
});
