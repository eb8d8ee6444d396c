import fc from 'fast-check';
import { ATTRIBUTION_MODELS } from '../../src/projections/attribution/models';
import {
  ATTRIBUTION_DELTAS,
  attributionProjection,
  measureField,
  type AttributionDeltaDoc,
} from '../../src/projections/attribution/projection';
import {
  attribution,
  attributionComparison,
  dealAttribution,
  type AttributionGroupBy,
} from '../../src/projections/attribution/queries';
import type { ReadModelAccess } from '../../src/projections/projection';
import type { Doc, ReadStore } from '../../src/readstore/port';
import { readStoreFactories, type ReadStoreFixture } from '../support/readstores';
import { ATTRIBUTION_HISTORY, on } from './attribution-fixtures';
import { applyToStore, canonical } from './harness';

const Q2 = { from: '2026-04-01T00:00:00.000Z', to: '2026-07-01T00:00:00.000Z' };
const JULY_1 = '2026-07-01T00:00:00.000Z';

const row = (
  key: string | null,
  currency: string,
  revenue: number,
  pipeline: number,
  deals: number,
  opportunities: number,
  unattributed = false,
) => ({ key, unattributed, currency, revenue, pipeline, deals, opportunities });

/** Every document of every collection of the projection, `_pos` left out. */
const dump = async (store: ReadStore): Promise<string> => {
  const out: Record<string, Doc[]> = {};
  for (const { name } of attributionProjection.collections) {
    out[name] = (await store.find(name)).map(({ _pos, ...doc }) => doc);
  }
  return canonical(out);
};

/** What a report should say, from the deltas alone: the brute-force definition of as-of. */
const bruteForce = (
  deltas: AttributionDeltaDoc[],
  groupBy: AttributionGroupBy,
  fromDay: string,
  toDay: string,
  asOf: string | null,
) => {
  const out = new Map<string, number>();
  for (const d of deltas) {
    if (d.day < fromDay || d.day > toDay || (asOf !== null && d.recordedAt > asOf)) continue;
    const key = d.unattributed ? 'UNATTRIBUTED' : groupBy === 'CAMPAIGN' ? d.campaignId : d.channel;
    for (const m of ATTRIBUTION_MODELS) {
      const id = `${key}|${d.currency}|${m}`;
      const add = (field: string, v: number | undefined) => {
        if (v) out.set(`${id}|${field}`, (out.get(`${id}|${field}`) ?? 0) + v);
      };
      add('revenue', d[measureField('revenue', m)]);
      add('pipeline', d[measureField('pipeline', m)]);
    }
  }
  return new Map([...out].filter(([, v]) => v !== 0));
};

describe.each(readStoreFactories())('attribution queries on %s', (name, factory) => {
  let fixture: ReadStoreFixture;
  let access: ReadModelAccess;
  beforeAll(async () => {
    fixture = await factory();
    access = { store: fixture.store, collection: (c) => c };
    await applyToStore(fixture.store, attributionProjection, ATTRIBUTION_HISTORY, 4);
  });
  afterAll(() => fixture.cleanup());

  it('reports credit per campaign and currency, by revenue then key', async () => {
    const rows = await attribution(access, { model: 'LINEAR', groupBy: 'CAMPAIGN', ...Q2 });
    expect(rows).toEqual([
      row('UNATTRIBUTED', 'EUR', 500, 500, 1, 1, true),
      row('cmp-a', 'USD', 225, 225, 0.5, 0.5),
      row('cmp-n', 'USD', 225, 225, 0.5, 0.5),
      // DA's win was reopened: only its pipeline stays.
      row('cmp-a', 'EUR', 0, 333.33, 0, 0.333333),
      row('cmp-b', 'EUR', 0, 100, 0, 1),
      row('cmp-c', 'EUR', 0, 80, 0, 1),
      row('cmp-n', 'EUR', 0, 333.33, 0, 0.333333),
      row('cmp-s', 'EUR', 0, 333.34, 0, 0.333334),
    ]);
  });

  it('answers as of an instant: the June win reopened in August shows as of July 1', async () => {
    const rows = await attribution(access, {
      model: 'LINEAR',
      groupBy: 'CAMPAIGN',
      ...Q2,
      asOf: JULY_1,
    });
    expect(rows).toEqual([
      row('UNATTRIBUTED', 'EUR', 500, 500, 1, 1, true),
      // tA4, after the opening, had no campaign.
      row(null, 'EUR', 300, 0, 0.25, 0),
      row('cmp-a', 'EUR', 300, 333.33, 0.25, 0.333333),
      row('cmp-n', 'EUR', 300, 333.33, 0.25, 0.333333),
      row('cmp-s', 'EUR', 300, 333.34, 0.25, 0.333334),
      row('cmp-a', 'USD', 225, 225, 0.5, 0.5),
      row('cmp-n', 'USD', 225, 225, 0.5, 0.5),
      row('cmp-b', 'EUR', 0, 100, 0, 1),
      row('cmp-c', 'EUR', 0, 80, 0, 1),
    ]);
    // Before DB's amount changed (June 7), its pipeline was 300.
    const june6 = await attribution(access, {
      model: 'FIRST_TOUCH',
      groupBy: 'CAMPAIGN',
      ...Q2,
      asOf: on('06-06'),
    });
    expect(june6.find((r) => r.currency === 'USD')).toEqual(row('cmp-n', 'USD', 0, 300, 0, 1));
  });

  it('counts a win recorded before its business day (clock skew) as of then', async () => {
    const around = { from: on('06-30', '00:00:00.000'), to: on('07-02', '00:00:00.000') };
    const asOf = (instant: string) =>
      attribution(access, { model: 'LAST_TOUCH', groupBy: 'CHANNEL', ...around, asOf: instant });
    expect(await asOf(on('06-30', '23:59:00.000'))).toEqual([row('CHAT', 'EUR', 80, 0, 1, 0)]);
    expect(await asOf(on('06-30', '23:50:00.000'))).toEqual([]);
    expect(
      await attribution(access, { model: 'LAST_TOUCH', groupBy: 'CHANNEL', ...around }),
    ).toEqual([row('CHAT', 'EUR', 80, 0, 1, 0)]);
  });

  it('reports credit per channel', async () => {
    const rows = await attribution(access, { model: 'W_SHAPED', groupBy: 'CHANNEL', ...Q2 });
    expect(rows).toEqual([
      row('UNATTRIBUTED', 'EUR', 500, 500, 1, 1, true),
      // DB: tB1 (EMAIL) is FT and LC, tB2 (WEBINAR) is OC.
      row('EMAIL', 'USD', 300, 300, 0.666667, 0.666667),
      row('WEBINAR', 'USD', 150, 150, 0.333333, 0.333333),
      row('CHAT', 'EUR', 0, 80, 0, 1),
      row('EMAIL', 'EUR', 0, 333.33, 0, 0.333333),
      row('PAID_SEARCH', 'EUR', 0, 333.34, 0, 0.333334),
      row('PAID_SOCIAL', 'EUR', 0, 100, 0, 1),
      row('WEBINAR', 'EUR', 0, 333.33, 0, 0.333333),
    ]);
  });

  it('compares every model side by side', async () => {
    const rows = await attributionComparison(access, { groupBy: 'CAMPAIGN', ...Q2, asOf: JULY_1 });
    expect(rows.map((r) => [r.key, r.currency])).toEqual([
      [null, 'EUR'],
      ['UNATTRIBUTED', 'EUR'],
      ['cmp-a', 'EUR'],
      ['cmp-a', 'USD'],
      ['cmp-b', 'EUR'],
      ['cmp-c', 'EUR'],
      ['cmp-n', 'EUR'],
      ['cmp-n', 'USD'],
      ['cmp-s', 'EUR'],
    ]);
    const cmpS = rows.find((r) => r.key === 'cmp-s')!;
    expect(cmpS.revenue).toMatchObject({
      FIRST_TOUCH: 1200,
      LAST_TOUCH: 0,
      LEAD_CREATION: 0,
      LINEAR: 300,
      U_SHAPED: 600,
      W_SHAPED: 400,
      FULL_PATH: 300,
    });
    expect(cmpS.pipeline).toMatchObject({ FIRST_TOUCH: 1000, LAST_TOUCH: 0, U_SHAPED: 500 });
    const unattributed = rows.find((r) => r.unattributed)!;
    for (const m of ATTRIBUTION_MODELS) expect(unattributed.revenue[m]).toBe(500);
    // Every model credits the whole of each currency's revenue.
    for (const currency of ['EUR', 'USD']) {
      const totals = ATTRIBUTION_MODELS.map((m) =>
        rows.filter((r) => r.currency === currency).reduce((s, r) => s + r.revenue[m] * 100, 0),
      );
      expect(new Set(totals.map(Math.round)).size).toBe(1);
    }
    const now = await attributionComparison(access, { groupBy: 'CAMPAIGN', ...Q2 });
    expect(now.find((r) => r.key === 'cmp-s')!.revenue.FIRST_TOUCH).toBe(0);
    expect(now.some((r) => r.key === null)).toBe(false);
  });

  it("shows a deal's touches with positions and credit", async () => {
    const db = await dealAttribution(access, 'DB', 'LINEAR');
    expect(db).toMatchObject({
      dealId: 'DB',
      kind: 'REVENUE',
      status: 'WON',
      currency: 'USD',
      amount: 450,
      openedAt: on('06-05'),
      wonAt: on('06-20'),
      leads: [
        { leadId: 'LB1', channel: 'WEBINAR', campaignId: 'cmp-src' },
        { leadId: 'LB2', channel: 'WEBINAR', campaignId: 'cmp-src' },
      ],
    });
    expect(db!.touches.map((t) => [t.touchId, t.leadId, t.positions, t.credit, t.share])).toEqual([
      ['tB1', 'LB1', ['FT', 'LC'], 225, 0.5],
      ['tB2', 'LB2', ['OC', 'CW'], 225, 0.5],
    ]);
    // Lost after a reopened win: its pipeline credit, and touches with no share under the model.
    const da = await dealAttribution(access, 'DA', 'FIRST_TOUCH');
    expect(da).toMatchObject({ kind: 'PIPELINE', status: 'LOST', amount: 1000, wonAt: null });
    expect(da!.touches.map((t) => [t.touchId, t.positions, t.credit, t.cents])).toEqual([
      ['tA1', ['FT'], 1000, 100_000],
      ['tA2', ['LC'], 0, 0],
      ['tA3', ['OC'], 0, 0],
    ]);
    const dc = await dealAttribution(access, 'DC', 'TIME_DECAY');
    expect(dc!.touches).toEqual([
      {
        key: 'UNATTRIBUTED',
        touchId: null,
        leadId: null,
        occurredAt: null,
        channel: null,
        campaignId: null,
        positions: [],
        credit: 500,
        cents: 50_000,
        share: 1,
      },
    ]);
    expect(await dealAttribution(access, 'nope', 'LINEAR')).toBeNull();
  });

  it('refuses unknown models and groupings, and an empty range is empty', async () => {
    await expect(
      attribution(access, { model: 'NOPE' as 'LINEAR', groupBy: 'CAMPAIGN', ...Q2 }),
    ).rejects.toThrow(RangeError);
    await expect(
      attribution(access, { model: 'LINEAR', groupBy: 'REP' as 'CAMPAIGN', ...Q2 }),
    ).rejects.toThrow(RangeError);
    await expect(
      attribution(access, { model: 'LINEAR', groupBy: 'CAMPAIGN', ...Q2, asOf: 'yesterday' }),
    ).rejects.toThrow(RangeError);
    expect(
      await attribution(access, { model: 'LINEAR', groupBy: 'CAMPAIGN', from: Q2.to, to: Q2.from }),
    ).toEqual([]);
  });

  it('agrees with the deltas summed by brute force, for any range and as-of instant', async () => {
    const deltas = (await fixture.store.find(
      ATTRIBUTION_DELTAS,
    )) as unknown as AttributionDeltaDoc[];
    const instants = [
      ...new Set(ATTRIBUTION_HISTORY.flatMap((e) => [e.recordedAt, e.occurredAt])),
      // Calendar boundaries: whole quarters and years are single rollup blocks.
      '2026-01-01T00:00:00.000Z',
      '2026-04-01T00:00:00.000Z',
      '2026-10-01T00:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
    ].sort();
    const shift = (iso: string, minutes: number) =>
      new Date(Date.parse(iso) + minutes * 60_000).toISOString();
    const instant = fc
      .tuple(fc.constantFrom(...instants), fc.constantFrom(-1, 0, 1, 60 * 24))
      .map(([iso, m]) => shift(iso, m));
    await fc.assert(
      fc.asyncProperty(
        instant,
        instant,
        fc.option(instant, { nil: null }),
        fc.constantFrom<AttributionGroupBy>('CAMPAIGN', 'CHANNEL'),
        fc.constantFrom(...ATTRIBUTION_MODELS),
        async (a, b, asOf, groupBy, model) => {
          const [from, to] = a < b ? [a, b] : [b, a];
          const comparison = await attributionComparison(access, { from, to, groupBy, asOf });
          const got = new Map<string, number>();
          for (const r of comparison) {
            for (const m of ATTRIBUTION_MODELS) {
              const id = `${r.key}|${r.currency}|${m}`;
              if (r.revenue[m]) got.set(`${id}|revenue`, Math.round(r.revenue[m] * 100));
              if (r.pipeline[m]) got.set(`${id}|pipeline`, Math.round(r.pipeline[m] * 100));
            }
          }
          const lastDay = new Date(Date.parse(to) - 1).toISOString().slice(0, 10);
          const expected =
            from < to
              ? bruteForce(deltas, groupBy, from.slice(0, 10), lastDay, asOf)
              : new Map<string, number>();
          expect(got).toEqual(expected);
          // One model through the store's grouped sums.
          const single = new Map<string, number>();
          for (const r of await attribution(access, { model, from, to, groupBy, asOf })) {
            const id = `${r.key}|${r.currency}|${model}`;
            if (r.revenue) single.set(`${id}|revenue`, Math.round(r.revenue * 100));
            if (r.pipeline) single.set(`${id}|pipeline`, Math.round(r.pipeline * 100));
          }
          const expectedSingle = [...expected].filter(([k]) => k.includes(`|${model}|`));
          expect([...single].sort()).toEqual(expectedSingle.sort());
        },
      ),
      // FerretDB is slow per query: fewer runs keep it well within the timeout.
      { numRuns: name === 'SQLite' ? 80 : 40 },
    );
  });

  it('is deterministic: a rebuild, batched otherwise, gives identical documents', async () => {
    const again = await factory();
    try {
      await applyToStore(again.store, attributionProjection, ATTRIBUTION_HISTORY, 9);
      expect(await dump(again.store)).toBe(await dump(fixture.store));
    } finally {
      await again.cleanup();
    }
  });
});
