import fc from 'fast-check';
import {
  ATTRIBUTION_MODELS,
  type AttributionModel,
} from '../../src/projections/attribution/models';
import {
  ATTRIBUTION_DAILY,
  ATTRIBUTION_DEALS,
  ATTRIBUTION_DELTAS,
  ATTRIBUTION_LEADS,
  ATTRIBUTION_ROLLUPS,
  attributionProjection,
  BLOCK_KINDS,
  blockOf,
  blocksCovering,
  measureField,
  MICRO_PER_DEAL,
  nextDay,
  type Measure,
  type Measures,
  type AttributionDailyDoc,
  type AttributionDealDoc,
  type AttributionDeltaDoc,
  type AttributionRollupDoc,
  type Grant,
} from '../../src/projections/attribution/projection';
import type { ProjectionEvent } from '../../src/projections/projection';
import type { Doc } from '../../src/readstore/port';
import {
  amountChanged,
  ATTRIBUTION_HISTORY,
  captured,
  EMAIL_PREFIX,
  lost,
  on,
  opened,
  reopened,
  toLog,
  touch,
  won,
} from './attribution-fixtures';
import { HISTORY } from './fixtures';
import { canonical, MemoryReadModel } from './harness';
import { InMemoryProjection } from '../support/in-memory-projection';

const fold = (events: readonly ProjectionEvent[], batchSize = 1) =>
  new MemoryReadModel(attributionProjection).apply(events, batchSize);

const model = fold(ATTRIBUTION_HISTORY, 4);

/** DA won and not yet reopened. */
const untilWon = ATTRIBUTION_HISTORY.filter((e) => e.recordedAt < on('08-01'));

const dealOf = (m: MemoryReadModel, dealId: string) =>
  m.all(ATTRIBUTION_DEALS)[dealId] as unknown as AttributionDealDoc;

/** A grant's credit per campaign (UNATTRIBUTED for a touchless deal), in major units. */
const byCampaign = (grant: Grant | null, m: AttributionModel) => {
  const out: Record<string, number> = {};
  for (const line of grant?.lines ?? []) {
    const key = line.unattributed ? 'UNATTRIBUTED' : String(line.campaignId);
    if (line.cents[m]) out[key] = (out[key] ?? 0) + line.cents[m] / 100;
  }
  return out;
};

/** Brute force over the deltas: the credit per campaign on days [from, to] recorded by `asOf`. */
const deltaTotals = (
  m: MemoryReadModel,
  measure: Measure,
  attributionModel: AttributionModel,
  from: string,
  to: string,
  asOf?: string,
) => {
  const out: Record<string, number> = {};
  for (const doc of Object.values(m.all(ATTRIBUTION_DELTAS)) as unknown as AttributionDeltaDoc[]) {
    if (doc.day < from || doc.day > to || (asOf && doc.recordedAt > asOf)) continue;
    const value = doc[measureField(measure, attributionModel)];
    if (!value) continue;
    const key = doc.unattributed ? 'UNATTRIBUTED' : String(doc.campaignId);
    out[`${key}/${doc.currency}`] = (out[`${key}/${doc.currency}`] ?? 0) + value;
  }
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== 0));
};

describe('attribution projection', () => {
  it('credits a deal over the touches of its lead, positions per models.ts', () => {
    const da = dealOf(fold(untilWon), 'DA');
    // Pipeline at the opening: tA1 (FT), tA2 (LC, creates the lead), tA3 (OC).
    expect(da.pipeline!.day).toBe('2026-05-15');
    expect(byCampaign(da.pipeline, 'FIRST_TOUCH')).toEqual({ 'cmp-s': 1000 });
    expect(byCampaign(da.pipeline, 'LAST_TOUCH')).toEqual({ 'cmp-n': 1000 });
    expect(byCampaign(da.pipeline, 'LEAD_CREATION')).toEqual({ 'cmp-a': 1000 });
    // Rounding residue to the largest share, the earliest touch on a tie.
    expect(byCampaign(da.pipeline, 'LINEAR')).toEqual({
      'cmp-s': 333.34,
      'cmp-a': 333.33,
      'cmp-n': 333.33,
    });
    expect(da.pipelineTouches.map((t) => t.touchId)).toEqual(['tA1', 'tA2', 'tA3']);
  });

  it('counts touches after the opening but before the win for revenue, not pipeline', () => {
    const da = dealOf(fold(untilWon), 'DA');
    expect(da.revenue!.day).toBe('2026-06-10');
    expect(da.revenueTouches!.map((t) => t.touchId)).toEqual(['tA1', 'tA2', 'tA3', 'tA4']);
    expect(byCampaign(da.revenue, 'LAST_TOUCH')).toEqual({ null: 1200 });
    expect(byCampaign(da.revenue, 'LINEAR')).toEqual({
      'cmp-s': 300,
      'cmp-a': 300,
      'cmp-n': 300,
      null: 300,
    });
    expect(byCampaign(da.pipeline, 'LAST_TOUCH')).toEqual({ 'cmp-n': 1000 });
  });

  it('spreads a share with no middle touch over the position touches by weight', () => {
    const da = dealOf(fold(untilWon), 'DA');
    // U_SHAPED: no touch between FT and LC; W_SHAPED: none between FT and OC but LC.
    expect(byCampaign(da.revenue, 'U_SHAPED')).toEqual({ 'cmp-s': 600, 'cmp-a': 600 });
    expect(byCampaign(da.revenue, 'W_SHAPED')).toEqual({
      'cmp-s': 400,
      'cmp-a': 400,
      'cmp-n': 400,
    });
    expect(byCampaign(da.revenue, 'FULL_PATH')).toEqual({
      'cmp-s': 300,
      'cmp-a': 300,
      'cmp-n': 300,
      null: 300,
    });
  });

  it('adds the weights of the positions one touch holds', () => {
    const dd = dealOf(model, 'DD');
    for (const m of ATTRIBUTION_MODELS)
      expect(byCampaign(dd.pipeline, m)).toEqual({ 'cmp-b': 100 });
    // DB: tB1 is FT and LC (first touch of the earliest lead), tB2 is OC and, at the win, CW.
    const db = dealOf(model, 'DB');
    expect(byCampaign(db.pipeline, 'W_SHAPED')).toEqual({ 'cmp-n': 300, 'cmp-a': 150 });
    expect(byCampaign(db.revenue, 'U_SHAPED')).toEqual({ 'cmp-n': 450 });
    expect(byCampaign(db.revenue, 'FULL_PATH')).toEqual({ 'cmp-n': 225, 'cmp-a': 225 });
  });

  it('credits the touches of every lead of a deal', () => {
    const db = dealOf(model, 'DB');
    expect(db.revenueTouches!.map((t) => [t.leadId, t.touchId])).toEqual([
      ['LB1', 'tB1'],
      ['LB2', 'tB2'],
    ]);
    expect(byCampaign(db.revenue, 'LINEAR')).toEqual({ 'cmp-n': 225, 'cmp-a': 225 });
    expect(db.revenue!.currency).toBe('USD');
  });

  it('credits a deal with no touch to UNATTRIBUTED under every model', () => {
    const dc = dealOf(model, 'DC');
    for (const m of ATTRIBUTION_MODELS) {
      expect(byCampaign(dc.pipeline, m)).toEqual({ UNATTRIBUTED: 500 });
      expect(byCampaign(dc.revenue, m)).toEqual({ UNATTRIBUTED: 500 });
    }
    const daily = model.all(ATTRIBUTION_DAILY)[
      JSON.stringify(['2026-06-15', 'EUR', null, null, true])
    ] as unknown as AttributionDailyDoc;
    expect(daily.rLIN).toBe(50_000);
    expect(daily.dTD).toBe(MICRO_PER_DEAL);
  });

  it('re-splits pipeline at a changed amount on the opening day, recorded when it changed', () => {
    const db = dealOf(model, 'DB');
    expect(db.amount).toBe(450);
    expect(byCampaign(db.pipeline, 'LINEAR')).toEqual({ 'cmp-n': 225, 'cmp-a': 225 });
    const deltas = (
      Object.values(model.all(ATTRIBUTION_DELTAS)) as unknown as AttributionDeltaDoc[]
    )
      .filter((d) => d.dealId === 'DB' && d.kind === 'PIPELINE')
      .map((d) => [d.campaignId, d.day, d.recordedAt, d.skew, d.pLIN, d.oLIN]);
    // In log order; the deal's share does not move with the amount: only cents.
    expect(deltas).toEqual([
      ['cmp-a', '2026-06-05', on('06-05'), 'SAME_DAY', 15_000, 500_000],
      ['cmp-n', '2026-06-05', on('06-05'), 'SAME_DAY', 15_000, 500_000],
      ['cmp-a', '2026-06-05', on('06-07'), 'LATE', 7_500, undefined],
      ['cmp-n', '2026-06-05', on('06-07'), 'LATE', 7_500, undefined],
    ]);
  });

  it('reverses a reopened win on its win day; a deal lost after that has no revenue', () => {
    const da = dealOf(model, 'DA');
    expect(da).toMatchObject({ status: 'LOST', revenue: null, wonAt: null });
    expect(byCampaign(da.pipeline, 'LINEAR')).toEqual({
      'cmp-s': 333.34,
      'cmp-a': 333.33,
      'cmp-n': 333.33,
    });
    const reversal = (
      Object.values(model.all(ATTRIBUTION_DELTAS)) as unknown as AttributionDeltaDoc[]
    ).filter((d) => d.dealId === 'DA' && d.kind === 'REVENUE' && d.recordedAt === on('08-05'));
    expect(reversal.map((d) => [d.campaignId, d.day, d.skew, d.rLIN])).toEqual([
      ['cmp-a', '2026-06-10', 'LATE', -30_000],
      ['cmp-n', '2026-06-10', 'LATE', -30_000],
      ['cmp-s', '2026-06-10', 'LATE', -30_000],
      [null, '2026-06-10', 'LATE', -30_000],
    ]);
    // Nothing more when it is lost.
    const afterLoss = (
      Object.values(model.all(ATTRIBUTION_DELTAS)) as unknown as AttributionDeltaDoc[]
    ).filter((d) => d.recordedAt > on('08-05'));
    expect(afterLoss).toEqual([]);
    const june10 = Object.values(model.all(ATTRIBUTION_DAILY)).filter(
      (d) => (d as unknown as AttributionDailyDoc).day === '2026-06-10',
    ) as unknown as AttributionDailyDoc[];
    expect(june10.length).toBe(4);
    for (const d of june10) {
      for (const m of ATTRIBUTION_MODELS) {
        expect(d[measureField('revenue', m)] ?? 0).toBe(0);
        expect(d[measureField('deals', m)] ?? 0).toBe(0);
      }
    }
  });

  it('answers as of an instant: a June win reopened in August still shows as of July 1', () => {
    const q2 = (asOf?: string) =>
      deltaTotals(model, 'revenue', 'LINEAR', '2026-04-01', '2026-06-30', asOf);
    expect(q2('2026-07-01T00:00:00.000Z')).toEqual({
      'cmp-s/EUR': 30_000,
      'cmp-a/EUR': 30_000,
      'cmp-n/EUR': 30_000,
      'null/EUR': 30_000,
      'UNATTRIBUTED/EUR': 50_000,
      'cmp-n/USD': 22_500,
      'cmp-a/USD': 22_500,
    });
    expect(q2()).toEqual({
      'UNATTRIBUTED/EUR': 50_000,
      'cmp-n/USD': 22_500,
      'cmp-a/USD': 22_500,
    });
    // Before the win was recorded, no revenue from it.
    expect(q2('2026-06-10T11:59:59.999Z')).toEqual({});
  });

  it('stores nothing personal; a forgotten lead keeps its credits', () => {
    const withoutForget = fold(
      ATTRIBUTION_HISTORY.filter((e) => e.type !== 'LeadForgotten'),
      4,
    );
    const all = (m: MemoryReadModel) =>
      canonical(attributionProjection.collections.map((c) => m.all(c.name)));
    expect(all(model)).toBe(all(withoutForget));
    expect(all(model)).not.toContain(EMAIL_PREFIX);
    expect(all(model)).not.toContain('Name L');
    expect(byCampaign(dealOf(model, 'DD').pipeline, 'LINEAR')).toEqual({ 'cmp-b': 100 });
    expect(model.all(ATTRIBUTION_LEADS).LD).toMatchObject({
      source: { channel: 'WEBINAR', campaignId: 'cmp-src' },
      touches: [{ touchId: 'tD1', channel: 'PAID_SOCIAL', campaignId: 'cmp-b' }],
    });
  });

  it('records clock-skewed deltas as EARLY', () => {
    const de = (
      Object.values(model.all(ATTRIBUTION_DELTAS)) as unknown as AttributionDeltaDoc[]
    ).filter((d) => d.dealId === 'DE' && d.kind === 'REVENUE');
    expect(de.map((d) => [d.day, d.skew])).toEqual([['2026-07-01', 'EARLY']]);
  });

  it('folds the shared history: D2 without touches is UNATTRIBUTED, D1 over t1 and t2', () => {
    const shared = fold(HISTORY, 5);
    expect(byCampaign(dealOf(shared, 'D2').revenue, 'LINEAR')).toEqual({ UNATTRIBUTED: 1000 });
    // t2 was recorded late but happened first: FT and LC.
    expect(byCampaign(dealOf(shared, 'D1').revenue, 'U_SHAPED')).toEqual({ 'cmp-a': 1000 });
    expect(byCampaign(dealOf(shared, 'D1').revenue, 'LAST_TOUCH')).toEqual({ 'cmp-n': 1000 });
  });

  it('gives the same documents however the log is batched, and on every rebuild', () => {
    const snapshot = (batchSize: number) =>
      canonical(
        attributionProjection.collections.map((c) =>
          fold(ATTRIBUTION_HISTORY, batchSize).all(c.name),
        ),
      );
    const oneByOne = snapshot(1);
    expect(snapshot(ATTRIBUTION_HISTORY.length)).toBe(oneByOne);
    expect(snapshot(7)).toBe(snapshot(7));
    for (let size = 2; size < ATTRIBUTION_HISTORY.length; size += 5)
      expect(snapshot(size)).toBe(oneByOne);
    // The plain in-memory fold (no batching) agrees too.
    const plain = new InMemoryProjection(attributionProjection).apply(ATTRIBUTION_HISTORY);
    const strip = (docs: Doc[]) =>
      canonical(
        Object.fromEntries(
          docs
            .map(({ _pos, ...d }): [string, Doc] => [d._id, d])
            .sort(([a], [b]) => (a < b ? -1 : 1)),
        ),
      );
    for (const c of attributionProjection.collections) {
      expect(strip(plain.all(c.name))).toBe(canonical(fold(ATTRIBUTION_HISTORY).all(c.name)));
    }
  });
});

describe('attribution rollup blocks', () => {
  const DAY_MS = 86_400_000;
  const dayArb = fc
    .integer({ min: Date.parse('2024-01-01'), max: Date.parse('2028-12-31') })
    .map((ms) => new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10));

  it('tile a range, each block the one of its kind that holds its first day', () => {
    fc.assert(
      fc.property(dayArb, fc.integer({ min: 0, max: 1_500 }), (first, n) => {
        const last = new Date(Date.parse(first) + n * DAY_MS).toISOString().slice(0, 10);
        const blocks = blocksCovering(first, last);
        let next = first;
        for (const block of blocks) {
          expect(block.start).toBe(next);
          if (block.kind !== 'D1') expect(blockOf(block.start, block.kind)).toEqual(block);
          else expect(block.end).toBe(block.start);
          next = nextDay(block.end);
        }
        expect(next).toBe(nextDay(last));
        if (n < 366) expect(blocks.length).toBeLessThanOrEqual(15);
      }),
    );
  });

  it('make a calendar period one block', () => {
    const kinds = (first: string, last: string) =>
      blocksCovering(first, last).map((b) => `${b.kind}:${b.start}`);
    expect(kinds('2026-01-01', '2026-12-31')).toEqual(['Y:2026-01-01']);
    expect(kinds('2026-04-01', '2026-06-30')).toEqual(['Q:2026-04-01']);
    expect(kinds('2028-02-01', '2028-02-29')).toEqual(['M:2028-02-01']);
    // Runs within a month are cut at its end: the 29th to the 31st is one 4-day run.
    expect(kinds('2026-05-29', '2026-05-31')).toEqual(['D4:2026-05-29']);
    expect(kinds('2026-06-30', '2026-07-02')).toEqual(['D1:2026-06-30', 'D2:2026-07-01']);
    expect(blockOf('2026-05-31', 'D16')).toEqual({
      kind: 'D16',
      start: '2026-05-17',
      end: '2026-05-31',
    });
  });
});

// ---- property: the aggregates hold exactly the won and opened amounts

const HOUR_MS = 3_600_000;
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const hours = (h: number) => new Date(T0 + h * HOUR_MS).toISOString();

type Step = 'amount' | 'win' | 'lose' | 'reopen';

const dealArb = fc.record({
  leads: fc.subarray(['L1', 'L2', 'L3', 'L4'], { minLength: 1 }),
  openedAt: fc.integer({ min: 0, max: 1_500 }),
  amount: fc.integer({ min: 1, max: 10_000_000 }).map((c) => c / 100),
  currency: fc.constantFrom('EUR', 'USD'),
  steps: fc.array(
    fc.record({
      step: fc.constantFrom<Step>('amount', 'win', 'lose', 'reopen'),
      after: fc.integer({ min: 0, max: 400 }),
      amount: fc.integer({ min: 1, max: 10_000_000 }).map((c) => c / 100),
    }),
    { maxLength: 6 },
  ),
});

const historyArb = fc.record({
  touches: fc.array(
    fc.record({
      lead: fc.constantFrom('L1', 'L2', 'L3', 'L4'),
      at: fc.integer({ min: 0, max: 2_000 }),
      recordedLate: fc.integer({ min: 0, max: 300 }),
      channel: fc.constantFrom('EMAIL', 'WEBINAR', 'PAID_SEARCH'),
      campaignId: fc.option(fc.constantFrom('cmp-a', 'cmp-b', 'cmp-c'), { nil: null }),
      createsLead: fc.boolean(),
    }),
    { maxLength: 25 },
  ),
  deals: fc.array(dealArb, { maxLength: 5 }),
  batchSize: fc.integer({ min: 1, max: 12 }),
});

type History = typeof historyArb extends fc.Arbitrary<infer T> ? T : never;

/** Drafts of a random history whose deal events follow the deal's rules; and what it should add up to. */
const build = (h: History) => {
  const drafts = [...['L1', 'L2', 'L3', 'L4'].map((l) => captured(l, hours(-1)))];
  h.touches.forEach((t, i) =>
    drafts.push(
      touch(
        t.lead,
        `t${i}`,
        hours(t.at),
        t.channel,
        t.campaignId,
        t.createsLead,
        hours(t.at + t.recordedLate),
      ),
    ),
  );
  const expected = new Map<
    string,
    { won: number; open: number; wonDeals: number; deals: number }
  >();
  h.deals.forEach((d, i) => {
    const id = `D${i}`;
    let at = d.openedAt;
    let amount = d.amount;
    let status: 'OPEN' | 'WON' | 'LOST' = 'OPEN';
    let wonAmount = 0;
    drafts.push(opened(id, d.leads, hours(at), amount, d.currency));
    for (const s of d.steps) {
      at += s.after;
      if (s.step === 'amount' && status === 'OPEN' && s.amount !== amount) {
        drafts.push(amountChanged(id, hours(at), amount, s.amount, d.currency));
        amount = s.amount;
      } else if (s.step === 'win' && status === 'OPEN') {
        drafts.push(won(id, d.leads, hours(at), s.amount, d.currency));
        status = 'WON';
        wonAmount = s.amount;
      } else if (s.step === 'lose' && status === 'OPEN') {
        drafts.push(lost(id, d.leads, hours(at), amount, d.currency));
        status = 'LOST';
      } else if (s.step === 'reopen' && status !== 'OPEN') {
        drafts.push(reopened(id, hours(at), status));
        status = 'OPEN';
      }
    }
    const totals = expected.get(d.currency) ?? { won: 0, open: 0, wonDeals: 0, deals: 0 };
    totals.open += Math.round(amount * 100);
    totals.deals += 1;
    if (status === 'WON') {
      totals.won += Math.round(wonAmount * 100);
      totals.wonDeals += 1;
    }
    expected.set(d.currency, totals);
  });
  return { events: toLog(drafts), expected };
};

const sumBy = (docs: Array<Doc & { currency?: string }>, field: Measure, m: AttributionModel) => {
  const out = new Map<string, number>();
  for (const doc of docs) {
    const value = (doc as unknown as Measures)[measureField(field, m)] ?? 0;
    out.set(doc.currency!, (out.get(doc.currency!) ?? 0) + value);
  }
  return out;
};

describe('attribution aggregates (property)', () => {
  it('hold, per model and currency, exactly the won and opened amounts in cents and whole deals', () => {
    fc.assert(
      fc.property(historyArb, (h) => {
        const { events, expected } = build(h);
        const m = fold(events, h.batchSize);
        const daily = Object.values(m.all(ATTRIBUTION_DAILY)) as Array<Doc & { currency?: string }>;
        const deltas = Object.values(m.all(ATTRIBUTION_DELTAS)) as Array<
          Doc & { currency?: string }
        >;
        const rollups = Object.values(
          m.all(ATTRIBUTION_ROLLUPS),
        ) as unknown as AttributionRollupDoc[];
        for (const m2 of ATTRIBUTION_MODELS) {
          for (const [currency, t] of expected) {
            const check = (docs: Array<Doc & { currency?: string }>) => {
              expect(sumBy(docs, 'revenue', m2).get(currency) ?? 0).toBe(t.won);
              expect(sumBy(docs, 'pipeline', m2).get(currency) ?? 0).toBe(t.open);
              expect(sumBy(docs, 'deals', m2).get(currency) ?? 0).toBe(t.wonDeals * MICRO_PER_DEAL);
              expect(sumBy(docs, 'opportunities', m2).get(currency) ?? 0).toBe(
                t.deals * MICRO_PER_DEAL,
              );
            };
            check(daily);
            check(deltas);
            for (const kind of BLOCK_KINDS) {
              for (const dim of ['CAMPAIGN', 'CHANNEL']) {
                check(rollups.filter((r) => r.block.startsWith(`${kind}:`) && r.dim === dim));
              }
            }
          }
        }
        // Each deal's granted credits sum to its amount under every model.
        for (const deal of Object.values(
          m.all(ATTRIBUTION_DEALS),
        ) as unknown as AttributionDealDoc[]) {
          for (const m2 of ATTRIBUTION_MODELS) {
            const cents = (g: Grant | null) =>
              (g?.lines ?? []).reduce((s, l) => s + (l.cents[m2] ?? 0), 0);
            expect(cents(deal.pipeline)).toBe(Math.round(deal.amount * 100));
            if (deal.status === 'WON')
              expect(cents(deal.revenue)).toBe(Math.round(deal.wonAmount! * 100));
            else expect(deal.revenue).toBeNull();
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});
