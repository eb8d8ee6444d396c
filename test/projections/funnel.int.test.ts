import { funnelProjection } from '../../src/projections/funnel/projection';
import {
  funnelReport,
  type FunnelReportArgs,
  type FunnelStageRow,
} from '../../src/projections/funnel/queries';
import { RELATIVE_ERROR } from '../../src/projections/histogram';
import type { ReadModelAccess } from '../../src/projections/projection';
import { readStoreFactories, type ReadStoreFixture } from '../support/readstores';
import { HISTORY } from './fixtures';
import { applyToStore } from './harness';

const FROM = '2026-07-01T00:00:00.000Z';
const TO = '2026-08-01T00:00:00.000Z';

/** Within the histogram's relative bound of the exact value. */
const near = (estimate: number | null, exact: number) => {
  expect(estimate).not.toBeNull();
  expect(Math.abs(estimate! - exact)).toBeLessThanOrEqual(exact * RELATIVE_ERROR + 1e-9);
};

const counts = (stages: FunnelStageRow[]) =>
  Object.fromEntries(stages.filter((s) => s.count).map((s) => [s.stage, s.count]));

describe.each(readStoreFactories())('funnel report on %s', (_name, factory) => {
  let fixture: ReadStoreFixture;
  let access: ReadModelAccess;
  beforeAll(async () => {
    fixture = await factory();
    access = { store: fixture.store, collection: (c) => c };
    await applyToStore(fixture.store, funnelProjection, HISTORY, 4);
  });
  afterAll(() => fixture.cleanup());

  const report = (args: Partial<FunnelReportArgs> = {}) =>
    funnelReport(access, { from: FROM, to: TO, ...args });

  it('gives every stage in order with next-step and cumulative conversion', async () => {
    const { groups } = await report();
    expect(groups).toHaveLength(1);
    const [all] = groups;
    expect(all!.key).toEqual({ segment: null, channel: null, campaignId: null, team: null });
    expect(all!.stages.map((s) => [s.stage, s.count, s.conversionFromPrevious])).toEqual([
      ['LEAD', 4, null],
      ['MQL', 4, 1],
      ['HANDED_OFF', 3, 0.75],
      ['SAL', 3, 1],
      ['SQL', 2, 2 / 3],
      ['OPPORTUNITY', 2, 1],
      ['WON', 2, 1],
      ['LOST', 1, null],
      ['RECYCLED', 1, null],
      ['DISQUALIFIED', 1, null],
    ]);
    expect(all!.stages.map((s) => s.conversionFromFirst)).toEqual([
      1, 1, 0.75, 0.75, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25,
    ]);
  });

  it('estimates median and p95 hours from the previous stage within 1%', async () => {
    const [all] = (await report()).groups;
    const stage = (s: string) => all!.stages.find((r) => r.stage === s)!;
    // LEAD -> MQL took 60, 60, 60 and 10 minutes: lower median 1 h, p95 1 h.
    near(stage('MQL').medianHoursFromPrevious, 1);
    near(stage('MQL').p95HoursFromPrevious, 1);
    // HANDED_OFF -> SAL: 30 min, 200 min, 40 min.
    near(stage('SAL').medianHoursFromPrevious, 40 / 60);
    near(stage('SAL').p95HoursFromPrevious, 200 / 60);
    // OPPORTUNITY -> WON: 8 days (L1), 4 days (L3).
    near(stage('WON').medianHoursFromPrevious, 96);
    near(stage('WON').p95HoursFromPrevious, 192);
    expect(stage('LEAD').medianHoursFromPrevious).toBeNull();
    expect(stage('LOST').medianHoursFromPrevious).toBeNull();
    // MQL -> HANDED_OFF: 0 (L1), 10 min (L2), 60 min (L3).
    near(stage('HANDED_OFF').medianHoursFromPrevious, 10 / 60);
    near(stage('HANDED_OFF').p95HoursFromPrevious, 1);
    // Durations under a second are reported as 0: L1 was handed off as it became an MQL.
    const [smb] = (await report({ filter: { segment: ['SMB'] } })).groups;
    expect(smb!.stages[2]).toMatchObject({ stage: 'HANDED_OFF', medianHoursFromPrevious: 0 });
  });

  it('groups flow by the team at each entry', async () => {
    const { groups } = await report({ groupBy: ['team'] });
    expect(groups.map((g) => [g.key.team, counts(g.stages)])).toEqual([
      [null, { LEAD: 4, MQL: 4, DISQUALIFIED: 1 }],
      ['EMEA', { HANDED_OFF: 3, SAL: 2, SQL: 1, OPPORTUNITY: 1, WON: 1, RECYCLED: 1 }],
      ['NA', { SAL: 1, SQL: 1, OPPORTUNITY: 1, WON: 1, LOST: 1 }],
    ]);
  });

  it('follows cohorts by capture day, grouped by the team of their latest handoff', async () => {
    const { groups } = await report({ mode: 'COHORT', groupBy: ['segment', 'team'] });
    expect(groups.map((g) => [g.key.segment, g.key.team, counts(g.stages)])).toEqual([
      [
        'ENTERPRISE',
        'NA',
        { LEAD: 1, MQL: 1, HANDED_OFF: 1, SAL: 1, SQL: 1, OPPORTUNITY: 1, WON: 1, LOST: 1 },
      ],
      ['MID_MARKET', null, { LEAD: 1, MQL: 1, DISQUALIFIED: 1 }],
      [
        'SMB',
        'EMEA',
        { LEAD: 2, MQL: 2, HANDED_OFF: 2, SAL: 2, SQL: 1, OPPORTUNITY: 1, WON: 1, RECYCLED: 1 },
      ],
    ]);
    expect(groups[0]!.key).toEqual({
      segment: 'ENTERPRISE',
      channel: null,
      campaignId: null,
      team: 'NA',
    });
  });

  it('reads whole UTC days: a cohort captured on one day, followed to its outcome', async () => {
    const { groups } = await report({
      mode: 'COHORT',
      from: '2026-07-02T15:00:00.000Z',
      to: '2026-07-02T16:00:00.000Z',
    });
    const [day] = groups;
    expect(counts(day!.stages)).toEqual({
      LEAD: 1,
      MQL: 1,
      HANDED_OFF: 1,
      SAL: 1,
      SQL: 1,
      OPPORTUNITY: 1,
      WON: 1,
      LOST: 1,
    });
    near(day!.stages.find((s) => s.stage === 'WON')!.medianHoursFromPrevious, 96);
    // The flow of the same day: L1's SQL and L3's first steps.
    const flow = await report({ from: '2026-07-02T00:00:00.000Z', to: '2026-07-03T00:00:00.000Z' });
    expect(counts(flow.groups[0]!.stages)).toEqual({
      LEAD: 1,
      MQL: 1,
      HANDED_OFF: 1,
      SAL: 1,
      SQL: 1,
    });
  });

  it('reads the same counts through years, months and days', async () => {
    for (const mode of ['FLOW', 'COHORT'] as const) {
      const month = await report({ mode, groupBy: ['segment', 'team'] });
      // A whole year (Y), and months plus edge days (M and D) around July.
      const year = await report({
        mode,
        groupBy: ['segment', 'team'],
        from: '2026-01-01T00:00:00.000Z',
        to: '2027-01-01T00:00:00.000Z',
      });
      const around = await report({
        mode,
        groupBy: ['segment', 'team'],
        from: '2026-05-17T00:00:00.000Z',
        to: '2026-09-03T00:00:00.000Z',
      });
      expect(year).toEqual(month);
      expect(around).toEqual(month);
    }
    // Days at the edges only: 2026-06-30 to 2026-07-02, both included.
    const days = await report({ from: '2026-06-30T00:00:00.000Z', to: '2026-07-03T00:00:00.000Z' });
    expect(counts(days.groups[0]!.stages)).toEqual({
      LEAD: 3,
      MQL: 3,
      HANDED_OFF: 3,
      SAL: 3,
      SQL: 1,
    });
  });

  it('filters by dimension values, null meaning none', async () => {
    const smb = await report({ filter: { segment: ['SMB'] } });
    expect(counts(smb.groups[0]!.stages)).toMatchObject({ LEAD: 2, WON: 1, RECYCLED: 1 });
    const noCampaign = await report({ filter: { campaignId: [null] }, groupBy: ['channel'] });
    expect(noCampaign.groups.map((g) => [g.key.channel, g.stages[0]!.count])).toEqual([
      ['EVENT', 1],
    ]);
    const either = await report({ filter: { campaignId: [null, 'cmp-b'] } });
    expect(either.groups[0]!.stages[0]!.count).toBe(2);
  });

  it('answers an empty period with zero counts and no rates', async () => {
    const { groups } = await report({ from: TO, to: TO });
    expect(groups).toHaveLength(1);
    expect(groups[0]!.stages.every((s) => s.count === 0)).toBe(true);
    expect(groups[0]!.stages[1]).toMatchObject({
      conversionFromPrevious: null,
      conversionFromFirst: null,
      medianHoursFromPrevious: null,
    });
    expect((await report({ groupBy: ['team'], filter: { team: [] } })).groups).toEqual([]);
  });
});
