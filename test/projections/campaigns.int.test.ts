import { campaignsProjection } from '../../src/projections/campaigns/projection';
import {
  campaignPerformance,
  type CampaignPerformanceRow,
} from '../../src/projections/campaigns/queries';
import type { ReadModelAccess } from '../../src/projections/projection';
import { readStoreFactories, type ReadStoreFixture } from '../support/readstores';
import { CAMPAIGN_HISTORY } from './analytics.fixtures';
import { applyToStore } from './harness';

const JULY = { from: '2026-07-01T00:00:00.000Z', to: '2026-08-01T00:00:00.000Z' };

describe.each(readStoreFactories())('campaignPerformance on %s', (_name, factory) => {
  let fixture: ReadStoreFixture;
  let access: ReadModelAccess;
  beforeAll(async () => {
    fixture = await factory();
    access = { store: fixture.store, collection: (c) => c };
    await applyToStore(fixture.store, campaignsProjection, CAMPAIGN_HISTORY, 5);
  });
  afterAll(() => fixture.cleanup());

  it('closes the loop per campaign, money per currency when it is mixed', async () => {
    const [a, b, ...rest] = await campaignPerformance(access, JULY);
    expect(rest).toEqual([]);
    expect(a).toEqual({
      campaignId: 'cmp-a',
      name: 'Summer webinar',
      channel: 'WEBINAR',
      leads: 2,
      mqls: 2,
      handedOff: 2,
      accepted: 1,
      rejected: 1,
      rejectedByReason: { NOT_ICP: 1 },
      recycled: 1,
      sqls: 1,
      opportunities: 3,
      won: 2,
      lost: 0,
      lostByReason: {},
      // Revenue in EUR and USD: no single figure.
      currency: null,
      revenue: null,
      cost: null,
      costPerMql: null,
      costPerSql: null,
      cac: null,
      roi: null,
      money: [
        {
          currency: 'EUR',
          revenue: 500.01,
          cost: 3100,
          costPerMql: 1550,
          costPerSql: 3100,
          cac: 1550,
          roi: (500.01 - 3100) / 3100,
        },
        {
          currency: 'USD',
          revenue: 450,
          cost: 0,
          costPerMql: 0,
          costPerSql: 0,
          cac: 0,
          roi: null,
        },
      ],
    });
    expect(b).toMatchObject({
      campaignId: 'cmp-b',
      name: 'Search Q3',
      channel: 'PAID_SEARCH',
      leads: 1,
      mqls: 1,
      handedOff: 1,
      accepted: 1,
      rejected: 0,
      rejectedByReason: {},
      sqls: 1,
      opportunities: 2,
      won: 1,
      lost: 1,
      lostByReason: { PRICE: 1 },
      // 7 of the cost's 9 days are in July.
      currency: 'EUR',
      revenue: 500,
      cost: 700,
      costPerMql: 700,
      costPerSql: 700,
      cac: 700,
      roi: (500 - 700) / 700,
    });
    expect(b!.money).toHaveLength(1);
  });

  it('spreads a cost over its days, so a period gets the share it covers', async () => {
    const rows = await campaignPerformance(access, {
      from: '2026-07-05T00:00:00.000Z',
      to: '2026-07-11T00:00:00.000Z',
    });
    expect(rows.map((r) => [r.campaignId, r.money.map((m) => [m.currency, m.cost])])).toEqual([
      [
        'cmp-a',
        [
          ['EUR', 600],
          ['USD', 0],
        ],
      ],
      ['cmp-b', [['EUR', 300]]],
    ]);
    // D3's loss on 07-09 was reopened: not lost in this period.
    expect(rows[1]).toMatchObject({ opportunities: 2, won: 1, lost: 0, lostByReason: {} });
    expect(rows[0]).toMatchObject({ leads: 0, opportunities: 3, won: 2 });
  });

  it('reports a campaign with only cost in the period', async () => {
    const rows = await campaignPerformance(access, {
      from: '2026-06-01T00:00:00.000Z',
      to: '2026-07-01T00:00:00.000Z',
    });
    expect(rows).toEqual([
      expect.objectContaining({
        campaignId: 'cmp-b',
        leads: 0,
        currency: 'EUR',
        revenue: 0,
        cost: 200,
        costPerMql: null,
        costPerSql: null,
        cac: null,
        roi: -1,
      }),
    ]);
  });

  it('reads the same totals through years and months as through days', async () => {
    const year = await campaignPerformance(access, {
      from: '2026-01-01T00:00:00.000Z',
      to: '2027-01-01T00:00:00.000Z',
    });
    const july = await campaignPerformance(access, JULY);
    // Cost differs (the whole of cmp-b's cost is in 2026), nothing else.
    const withoutCost = ({
      money: _m,
      cost: _c,
      costPerMql: _pm,
      costPerSql: _ps,
      cac: _cac,
      roi: _roi,
      ...row
    }: CampaignPerformanceRow) => row;
    expect(year.map(withoutCost)).toEqual(july.map(withoutCost));
    expect(year[1]).toMatchObject({ cost: 900, roi: (500 - 900) / 900 });
    const across = await campaignPerformance(access, {
      from: '2026-06-15T12:00:00.000Z',
      to: '2026-07-20T00:00:00.000Z',
    });
    expect(across[1]).toMatchObject({ cost: 900, lost: 0, won: 1 });
  });

  it('answers an empty period with no rows, or zero rows for the campaigns asked', async () => {
    const y2025 = { from: '2025-01-01T00:00:00.000Z', to: '2026-01-01T00:00:00.000Z' };
    expect(await campaignPerformance(access, y2025)).toEqual([]);
    expect(await campaignPerformance(access, { from: JULY.to, to: JULY.from })).toEqual([]);
    const backwards = { from: JULY.to, to: JULY.from, campaignIds: ['cmp-b'] };
    expect((await campaignPerformance(access, backwards)).map((r) => [r.name, r.won])).toEqual([
      ['Search Q3', 0],
    ]);
    const rows = await campaignPerformance(access, { ...y2025, campaignIds: ['cmp-z', 'cmp-a'] });
    expect(rows.map((r) => [r.campaignId, r.name, r.leads, r.revenue, r.cost, r.roi])).toEqual([
      ['cmp-a', 'Summer webinar', 0, 0, 0, null],
      ['cmp-z', null, 0, 0, 0, null],
    ]);
    const only = await campaignPerformance(access, { ...JULY, campaignIds: ['cmp-b'] });
    expect(only.map((r) => [r.campaignId, r.cost])).toEqual([['cmp-b', 700]]);
  });
});
