import { COMMANDS } from '../../src/domain/catalog';
import type { GoalsState } from '../../src/domain/goals/decider';
import { periodBounds } from '../../src/domain/goals/period';
import { actors, command, event, given } from './support';

const set = (input: Record<string, unknown>) =>
  command('setGoals', { period: '2026-Q3', revenue: 1_000_000, ...input }, { actor: actors.admin });

const goalsSet = (extra: Record<string, unknown> = {}) =>
  event('GoalsSet', {
    period: '2026-Q3',
    periodStart: '2026-07-01',
    periodEnd: '2026-09-30',
    revenue: 1_000_000,
    pipeline: null,
    mqls: null,
    sqls: null,
    ...extra,
  });

describe('setGoals', () => {
  it('sets the targets of a period, with its first and last day', () => {
    given()
      .when(set({ pipeline: 3_000_000, mqls: 2000, sqls: 500 }))
      .then(goalsSet({ pipeline: 3_000_000, mqls: 2000, sqls: 500 }));
  });

  it('replaces the targets when set again', () => {
    const state = given(goalsSet())
      .when(set({ revenue: 1_200_000 }))
      .thenState<GoalsState>();
    expect(state).toMatchObject({ revisions: 2, targets: { revenue: 1_200_000 } });
  });

  it('refuses a pipeline target below revenue (PIPELINE_BELOW_REVENUE)', () => {
    given()
      .when(set({ pipeline: 500_000 }))
      .thenRejects('PIPELINE_BELOW_REVENUE');
  });

  it('refuses more SQLs than MQLs (SQL_TARGET_ABOVE_MQL)', () => {
    given()
      .when(set({ mqls: 100, sqls: 101 }))
      .thenRejects('SQL_TARGET_ABOVE_MQL');
  });

  it('names its stream after the period', () => {
    const spec = COMMANDS.setGoals!;
    expect(spec.streamId(spec.schema.parse({ period: '2026-07', revenue: 1 }))).toBe(
      'goal-2026-07',
    );
  });

  it('takes a year, a quarter or a month (input validation)', () => {
    const ok = (period: string) =>
      COMMANDS.setGoals!.schema.safeParse({ period, revenue: 1 }).success;
    expect(['2026', '2026-Q1', '2026-Q4', '2026-01', '2026-12'].map(ok)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['2026-Q5', '2026-13', '2026-00', '26-Q1', '2026-q3', '2026-H1'].some(ok)).toBe(false);
    expect(COMMANDS.setGoals!.schema.safeParse({ period: '2026', revenue: 0 }).success).toBe(false);
  });
});

describe('periodBounds', () => {
  it.each([
    ['2026', '2026-01-01', '2026-12-31'],
    ['2026-Q1', '2026-01-01', '2026-03-31'],
    ['2026-Q4', '2026-10-01', '2026-12-31'],
    ['2028-02', '2028-02-01', '2028-02-29'],
    ['2026-12', '2026-12-01', '2026-12-31'],
  ])('%s runs from %s to %s', (period, periodStart, periodEnd) => {
    expect(periodBounds(period)).toEqual({ periodStart, periodEnd });
  });
});
