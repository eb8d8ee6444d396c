import {
  GOAL_DAILY,
  GOAL_DEALS,
  GOAL_LEADS,
  GOAL_TARGETS,
  goalsProjection,
} from '../../src/projections/goals/projection';
import { expectSameDocumentsAnyBatching, GOALS_HISTORY } from './analytics.fixtures';
import { MemoryReadModel } from './harness';

describe('goals projection', () => {
  const model = new MemoryReadModel(goalsProjection).apply(GOALS_HISTORY, 4);
  const daily = (day: string) => {
    const doc = model.get(GOAL_DAILY, day);
    if (!doc) return undefined;
    const { _id, _pos, day: _d, ...counts } = doc;
    return counts;
  };

  it('keeps the latest targets of each period', () => {
    expect(model.get(GOAL_TARGETS, '2026-Q3')).toMatchObject({
      period: '2026-Q3',
      periodStart: '2026-07-01',
      periodEnd: '2026-09-30',
      revenue: 12000,
      pipeline: 30000,
      mqls: 40,
      sqls: 10,
      setAt: '2026-06-25T09:00:00.000Z',
    });
    expect(Object.keys(model.all(GOAL_TARGETS))).toEqual(['2026-07', '2026-Q3', '2027-01']);
  });

  it('counts each lead’s first MQL, SAL and SQL on its day', () => {
    expect(daily('2026-07-02')).toEqual({ mqls: 5 });
    // G7 qualifying again is not a new MQL.
    expect(daily('2026-07-03')).toBeUndefined();
    expect(daily('2026-07-05')).toEqual({ sals: 3 });
    expect(daily('2026-07-08')).toEqual({ sqls: 2 });
    expect(model.get(GOAL_LEADS, 'G1')).toMatchObject({ mqls: true, sals: true, sqls: true });
  });

  it('counts pipeline when a deal opens and revenue when it is won, per currency', () => {
    expect(daily('2026-07-09')).toEqual({ opened: 1, pipeline: { EUR: 200000 } });
    expect(daily('2026-07-10')).toEqual({ wonDeals: { EUR: 1 }, revenue: { EUR: 200000 } });
    expect(daily('2026-12-02')).toEqual({ wonDeals: { USD: 1 }, revenue: { USD: 150000 } });
  });

  it('takes a reopened win back from the day it was won', () => {
    expect(daily('2026-07-20')).toEqual({ wonDeals: { EUR: 0 }, revenue: { EUR: 0 } });
    expect(daily('2026-07-25')).toBeUndefined();
    expect(model.get(GOAL_DEALS, 'W4')).toMatchObject({ win: null });
    expect(model.get(GOAL_DEALS, 'W3')).toMatchObject({
      win: { day: '2026-07-10', currency: 'EUR', minor: 200000 },
    });
  });

  it('gives the same documents however the events are batched', () => {
    expectSameDocumentsAnyBatching(goalsProjection, GOALS_HISTORY);
  });
});
