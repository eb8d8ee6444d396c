import {
  FUNNEL_COHORT,
  FUNNEL_FLOW,
  FUNNEL_LEADS,
  funnelDocId,
  funnelProjection,
} from '../../src/projections/funnel/projection';
import { bucketOf } from '../../src/projections/histogram';
import type { Doc } from '../../src/readstore/port';
import { at, D, H, HISTORY } from './fixtures';
import { MemoryReadModel } from './harness';

const SMB = { segment: 'SMB', channel: 'WEBINAR', campaignId: 'cmp-a' };
const ENT = { segment: 'ENTERPRISE', channel: 'EVENT', campaignId: null };
const MID = { segment: 'MID_MARKET', channel: 'PAID_SEARCH', campaignId: 'cmp-b' };

/** One histogram bucket per duration (minutes), as the projection files them. */
const hist = (...minutes: number[]) =>
  minutes.reduce<Record<string, number>>((h, m) => {
    const key = bucketOf(m * 60);
    h[key] = (h[key] ?? 0) + 1;
    return h;
  }, {});

/** Non-zero counts only: re-keyed cohort documents keep zeroed fields. */
const live = (doc: Doc | undefined) => {
  const prune = (v: unknown): unknown =>
    v && typeof v === 'object'
      ? Object.fromEntries(
          Object.entries(v)
            .map(([k, x]) => [k, prune(x)] as const)
            .filter(([, x]) => x !== 0 && !(x && typeof x === 'object' && !Object.keys(x).length)),
        )
      : v;
  return prune(doc && { entries: doc.entries, hist: doc.hist });
};

describe('funnel projection', () => {
  const model = new MemoryReadModel(funnelProjection).apply(HISTORY, 3);
  const doc = (collection: string, bucket: string, dims: object, team: string | null) =>
    model.get(
      collection,
      funnelDocId(bucket.length === 10 ? 'D' : bucket.length === 7 ? 'M' : 'Y', bucket, {
        segment: null,
        channel: null,
        campaignId: null,
        ...dims,
        team,
      }),
    );
  /** The document of a day (2026-07-01), month (2026-07) or year (2026). */
  const flow = (bucket: string, dims: object, team: string | null) =>
    doc(FUNNEL_FLOW, bucket, dims, team);
  const cohort = (bucket: string, dims: object, team: string | null) =>
    doc(FUNNEL_COHORT, bucket, dims, team);

  it('counts first stage entries per day and dimensions, team as at the entry', () => {
    expect(flow('2026-07-01', SMB, null)).toMatchObject({
      grain: 'D',
      bucket: '2026-07-01',
      ...SMB,
      team: null,
      entries: { LEAD: 2, MQL: 2 },
      hist: { MQL: hist(60, 60) },
    });
    expect(flow('2026-07-01', SMB, 'EMEA')).toMatchObject({
      entries: { HANDED_OFF: 2, SAL: 2 },
      hist: { HANDED_OFF: hist(0, 10), SAL: hist(30, 200) },
    });
    // L3's first handoff (EMEA) counts; its second (NA) is not a new entry.
    expect(live(flow('2026-07-02', ENT, 'EMEA'))).toEqual({
      entries: { HANDED_OFF: 1 },
      hist: { HANDED_OFF: hist(60) },
    });
    // SAL is timed from the latest handoff, the one that was accepted.
    expect(live(flow('2026-07-02', ENT, 'NA'))).toEqual({
      entries: { SAL: 1 },
      hist: { SAL: hist(40) },
    });
    expect(live(flow('2026-07-03', MID, null))).toEqual({
      entries: { LEAD: 1, MQL: 1, DISQUALIFIED: 1 },
      hist: { MQL: hist(10) },
    });
    expect(live(flow('2026-07-09', ENT, 'NA'))).toEqual({
      entries: { WON: 1 },
      hist: { WON: hist(4 * D) },
    });
    expect(live(flow('2026-07-07', ENT, 'NA'))).toEqual({ entries: { LOST: 1 } });
  });

  it('follows each capture-day cohort through the stages its leads reached', () => {
    expect(live(cohort('2026-07-01', SMB, 'EMEA'))).toEqual({
      entries: {
        LEAD: 2,
        MQL: 2,
        HANDED_OFF: 2,
        SAL: 2,
        SQL: 1,
        OPPORTUNITY: 1,
        WON: 1,
        RECYCLED: 1,
      },
      hist: {
        MQL: hist(60, 60),
        HANDED_OFF: hist(0, 10),
        SAL: hist(30, 200),
        SQL: hist(D - 90),
        OPPORTUNITY: hist(D),
        WON: hist(8 * D),
      },
    });
    expect(live(cohort('2026-07-03', MID, null))).toEqual({
      entries: { LEAD: 1, MQL: 1, DISQUALIFIED: 1 },
      hist: { MQL: hist(10) },
    });
  });

  it('moves a lead’s whole cohort contribution to the team of its latest handoff', () => {
    expect(live(cohort('2026-07-02', ENT, 'EMEA'))).toEqual({});
    expect(live(cohort('2026-07-02', ENT, null))).toEqual({});
    expect(live(cohort('2026-07-02', ENT, 'NA'))).toEqual({
      entries: {
        LEAD: 1,
        MQL: 1,
        HANDED_OFF: 1,
        SAL: 1,
        SQL: 1,
        OPPORTUNITY: 1,
        LOST: 1,
        WON: 1,
      },
      hist: {
        MQL: hist(H),
        HANDED_OFF: hist(H),
        SAL: hist(40),
        SQL: hist(2 * D - 220),
        OPPORTUNITY: hist(D),
        WON: hist(4 * D),
      },
    });
  });

  it('keeps the same counts per month and year, moved cohorts included', () => {
    expect(flow('2026-07', SMB, null)).toMatchObject({
      grain: 'M',
      bucket: '2026-07',
      ...SMB,
      team: null,
      entries: { LEAD: 2, MQL: 2 },
      hist: { MQL: hist(60, 60) },
    });
    expect(live(flow('2026', ENT, 'NA'))).toEqual(live(flow('2026-07', ENT, 'NA')));
    for (const bucket of ['2026-07', '2026']) {
      expect(live(cohort(bucket, ENT, 'EMEA'))).toEqual({});
      expect(live(cohort(bucket, ENT, 'NA'))).toEqual(live(cohort('2026-07-02', ENT, 'NA')));
      expect(live(cohort(bucket, SMB, 'EMEA'))).toEqual(live(cohort('2026-07-01', SMB, 'EMEA')));
    }
  });

  it('keeps each lead’s dimensions and entry times', () => {
    expect(model.get(FUNNEL_LEADS, 'L3')).toMatchObject({
      captureDay: '2026-07-02',
      ...ENT,
      team: 'NA',
      reached: { HANDED_OFF: at(D + 120), SAL: at(D + 220) },
      latest: { HANDED_OFF: at(D + 180) },
      seconds: { SAL: 40 * 60, WON: 4 * D * 60 },
    });
  });

  it('counts every lead once per stage in both views, at every grain', () => {
    const totals = (collection: string, grain: string) => {
      const sum: Record<string, number> = {};
      for (const doc of Object.values(model.all(collection))) {
        if (doc.grain !== grain) continue;
        for (const [stage, n] of Object.entries(doc.entries as Record<string, number>)) {
          sum[stage] = (sum[stage] ?? 0) + n;
        }
      }
      return sum;
    };
    const expected = {
      LEAD: 4,
      MQL: 4,
      HANDED_OFF: 3,
      SAL: 3,
      SQL: 2,
      OPPORTUNITY: 2,
      WON: 2,
      LOST: 1,
      RECYCLED: 1,
      DISQUALIFIED: 1,
    };
    for (const grain of ['D', 'M', 'Y']) {
      expect(totals(FUNNEL_FLOW, grain)).toEqual(expected);
      expect(totals(FUNNEL_COHORT, grain)).toEqual(expected);
    }
  });
});
