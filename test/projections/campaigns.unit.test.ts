import fc from 'fast-check';
import { splitMinor, toMinor } from '../../src/projections/money';
import {
  CAMPAIGN_COSTS,
  CAMPAIGN_DEALS,
  CAMPAIGN_LEADS,
  CAMPAIGN_STATS,
  campaignsProjection,
} from '../../src/projections/campaigns/projection';
import { addDays, coverOf, rollupDocId } from '../../src/projections/rollup';
import {
  at,
  CAMPAIGN_HISTORY,
  captured,
  expectSameDocumentsAnyBatching,
  history,
  opened,
  won,
} from './analytics.fixtures';
import { MemoryReadModel } from './harness';

describe('campaigns projection', () => {
  const model = new MemoryReadModel(campaignsProjection).apply(CAMPAIGN_HISTORY, 4);
  const stats = (grain: 'D' | 'M' | 'Y', bucket: string, campaignId: string) => {
    const doc = model.get(CAMPAIGN_STATS, rollupDocId(grain, bucket, [campaignId]));
    if (!doc) return undefined;
    const { _id, _pos, ...fields } = doc;
    return fields;
  };

  it('counts each lead stage once per lead, on the day of its first entry', () => {
    expect(stats('D', '2026-07-01', 'cmp-a')).toEqual({
      grain: 'D',
      bucket: '2026-07-01',
      campaignId: 'cmp-a',
      leads: 2,
      mqls: 2,
      handedOff: 2,
      accepted: 1,
    });
    // A2: rejected twice (the first reason counts), handed off again, recycled, MQL again.
    expect(stats('D', '2026-07-02', 'cmp-a')).toMatchObject({
      sqls: 1,
      rejected: 1,
      rejectedByReason: { NOT_ICP: 1 },
    });
    expect(stats('D', '2026-07-02', 'cmp-a')).not.toHaveProperty('handedOff');
    expect(stats('D', '2026-07-04', 'cmp-a')).toBeUndefined();
    expect(model.get(CAMPAIGN_LEADS, 'A2')).toMatchObject({
      campaignId: 'cmp-a',
      reached: { mqls: true, handedOff: true, rejected: true, recycled: true },
    });
    // A lead without a campaign is not kept.
    expect(model.get(CAMPAIGN_LEADS, 'N1')).toBeUndefined();
  });

  it('splits a won deal equally over its sources, a lead without campaign being one', () => {
    // D2 [A1 (cmp-a), N1 (none)]: 900 USD, half to cmp-a, half to no campaign.
    expect(stats('D', '2026-07-08', 'cmp-a')).toMatchObject({ won: 1, revenue: { USD: 45000 } });
    // D1 [A1, B1]: 1000.01 EUR = 100001 cents, the odd cent to the first campaign by id.
    expect(stats('D', '2026-07-10', 'cmp-a')).toMatchObject({ won: 1, revenue: { EUR: 50001 } });
    expect(stats('D', '2026-07-10', 'cmp-b')).toMatchObject({ won: 1, revenue: { EUR: 50000 } });
    // Opportunities: once per campaign of the deal.
    expect(stats('M', '2026-07', 'cmp-a')).toMatchObject({ opportunities: 3 });
    expect(stats('M', '2026-07', 'cmp-b')).toMatchObject({ opportunities: 2 });
  });

  it('takes back the outcome of a reopened deal on the day it was counted', () => {
    // D4 won 07-15, reopened 07-16: no longer won.
    expect(stats('D', '2026-07-15', 'cmp-a')).toMatchObject({ won: 0, revenue: { EUR: 0 } });
    expect(model.get(CAMPAIGN_DEALS, 'D4')).toMatchObject({ outcome: null });
    // D3 lost 07-09 (COMPETITOR), reopened, lost again 07-20 (PRICE).
    expect(stats('D', '2026-07-09', 'cmp-b')).toMatchObject({
      lost: 0,
      lostByReason: { COMPETITOR: 0 },
    });
    expect(stats('D', '2026-07-20', 'cmp-b')).toMatchObject({
      lost: 1,
      lostByReason: { PRICE: 1 },
    });
    expect(model.get(CAMPAIGN_DEALS, 'D3')).toMatchObject({
      outcome: { status: 'LOST', day: '2026-07-20', campaignIds: ['cmp-b'], reason: 'PRICE' },
    });
  });

  it('keeps the month and year totals equal to the days', () => {
    for (const id of ['cmp-a', 'cmp-b']) {
      const { grain: _g, bucket: _b, ...month } = stats('M', '2026-07', id)!;
      const { grain: _y, bucket: _yb, ...year } = stats('Y', '2026', id)!;
      expect(year).toEqual(month);
    }
    expect(stats('Y', '2026', 'cmp-a')).toMatchObject({
      leads: 2,
      mqls: 2,
      handedOff: 2,
      accepted: 1,
      rejected: 1,
      recycled: 1,
      sqls: 1,
      opportunities: 3,
      won: 2,
      revenue: { EUR: 50001, USD: 45000 },
    });
  });

  it('keeps each recorded cost as it was recorded', () => {
    expect(model.all(CAMPAIGN_COSTS)).toEqual({
      'cmp-a|1': {
        _id: 'cmp-a|1',
        campaignId: 'cmp-a',
        amount: 3100,
        currency: 'EUR',
        periodStart: '2026-07-01',
        periodEnd: '2026-07-31',
      },
      'cmp-b|1': {
        _id: 'cmp-b|1',
        campaignId: 'cmp-b',
        amount: 900,
        currency: 'EUR',
        periodStart: '2026-06-29',
        periodEnd: '2026-07-07',
      },
    });
  });

  it('credits a deal of leads from one campaign once, and a deal of unknown leads to none', () => {
    const events = history([
      captured('X1', at('2026-07-01'), { campaignId: 'cmp-x' }),
      captured('X2', at('2026-07-01'), { campaignId: 'cmp-x' }),
      opened('DX', ['X1', 'X2'], at('2026-07-02')),
      won('DX', ['X1', 'X2'], at('2026-07-03'), { amount: 10 }),
      won('DU', ['ghost'], at('2026-07-03'), { amount: 10 }),
    ]);
    const m = new MemoryReadModel(campaignsProjection).apply(events);
    expect(m.get(CAMPAIGN_STATS, rollupDocId('D', '2026-07-03', ['cmp-x']))).toMatchObject({
      won: 1,
      revenue: { EUR: 1000 },
    });
    expect(m.get(CAMPAIGN_DEALS, 'DU')).toMatchObject({ outcome: { campaignIds: [] } });
  });

  it('gives the same documents however the events are batched', () => {
    expectSameDocumentsAnyBatching(campaignsProjection, CAMPAIGN_HISTORY);
  });
});

describe('money in minor units', () => {
  it('rounds to the currency’s minor unit', () => {
    expect(toMinor(1000.01, 'EUR')).toBe(100001);
    expect(toMinor(0.1 + 0.2, 'USD')).toBe(30);
    expect(toMinor(1234.5, 'JPY')).toBe(1235);
    expect(toMinor(1.2345, 'BHD')).toBe(1235);
  });

  it('splits into shares that differ by at most one unit and sum exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), fc.integer({ min: 1, max: 50 }), (m, n) => {
        const shares = splitMinor(m, n);
        expect(shares.reduce((s, x) => s + x, 0)).toBe(m);
        expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe('calendar cover of a report', () => {
  it('tiles days with the fewest years, months and days', () => {
    expect(coverOf('2025-12-30', '2027-02-02').map((r) => [r.grain, r.gte, r.lte])).toEqual([
      ['D', '2025-12-30', '2025-12-31'],
      ['Y', '2026', '2026'],
      ['M', '2027-01', '2027-01'],
      ['D', '2027-02-01', '2027-02-02'],
    ]);
    expect(coverOf('2026-02-01', '2026-02-28').map((r) => [r.grain, r.gte, r.lte])).toEqual([
      ['M', '2026-02', '2026-02'],
    ]);
    expect(coverOf('2026-03-02', '2026-02-28')).toEqual([]);
  });

  it('covers exactly the days asked, with or without months and years', () => {
    const day = fc.integer({ min: 0, max: 3 * 366 }).map((n) => addDays('2025-11-20', n));
    fc.assert(
      fc.property(day, day, fc.constantFrom(['D'], ['D', 'M'], ['D', 'M', 'Y']), (a, b, g) => {
        const [first, last] = a <= b ? [a, b] : [b, a];
        const runs = coverOf(first, last, g);
        expect(runs[0]!.firstDay).toBe(first);
        expect(runs[runs.length - 1]!.lastDay).toBe(last);
        runs.forEach((r, i) => {
          expect(g).toContain(r.grain);
          if (i > 0) {
            expect(r.firstDay).toBe(addDays(runs[i - 1]!.lastDay, 1));
            expect(r.grain).not.toBe(runs[i - 1]!.grain);
          }
        });
      }),
    );
  });
});
