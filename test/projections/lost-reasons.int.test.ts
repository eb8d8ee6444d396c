import { lostReasonsProjection } from '../../src/projections/lost-reasons/projection';
import { lostReasons } from '../../src/projections/lost-reasons/queries';
import type { ReadModelAccess } from '../../src/projections/projection';
import { readStoreFactories, type ReadStoreFixture } from '../support/readstores';
import { LOST_HISTORY } from './analytics.fixtures';
import { applyToStore } from './harness';

const JULY = { from: '2026-07-01T00:00:00.000Z', to: '2026-08-01T00:00:00.000Z' };

describe.each(readStoreFactories())('lostReasons on %s', (_name, factory) => {
  let fixture: ReadStoreFixture;
  let access: ReadModelAccess;
  beforeAll(async () => {
    fixture = await factory();
    access = { store: fixture.store, collection: (c) => c };
    await applyToStore(fixture.store, lostReasonsProjection, LOST_HISTORY, 4);
  });
  afterAll(() => fixture.cleanup());

  it('reports losses by ISO week x reason x segment, weeks clipped to the range', async () => {
    expect(await lostReasons(access, { ...JULY, groupBy: 'WEEK' })).toEqual([
      {
        period: '2026-W28',
        periodStart: '2026-07-06',
        periodEnd: '2026-07-12',
        reason: 'PRICE',
        segment: 'ENTERPRISE',
        lost: 1,
        amount: [{ currency: 'USD', amount: 2000 }],
        competitors: [],
      },
      {
        period: '2026-W28',
        periodStart: '2026-07-06',
        periodEnd: '2026-07-12',
        reason: 'PRICE',
        segment: 'SMB',
        lost: 1,
        amount: [{ currency: 'EUR', amount: 1000 }],
        competitors: [{ competitor: 'Rival', lost: 1 }],
      },
      {
        period: '2026-W29',
        periodStart: '2026-07-13',
        periodEnd: '2026-07-19',
        reason: 'COMPETITOR',
        segment: 'SMB',
        lost: 2,
        amount: [{ currency: 'EUR', amount: 1200 }],
        competitors: [
          { competitor: 'Other Co.', lost: 1 },
          { competitor: 'Rival', lost: 1 },
        ],
      },
      {
        period: '2026-W31',
        periodStart: '2026-07-27',
        periodEnd: '2026-07-31',
        reason: 'OTHER',
        segment: null,
        lost: 1,
        amount: [{ currency: 'EUR', amount: 100 }],
        competitors: [],
      },
    ]);
  });

  it('reports by month, whole months read from month documents', async () => {
    const rows = await lostReasons(access, {
      from: '2026-06-15T00:00:00.000Z',
      to: '2026-08-15T00:00:00.000Z',
      groupBy: 'MONTH',
    });
    expect(
      rows.map((r) => [r.period, r.periodStart, r.periodEnd, r.reason, r.segment, r.lost]),
    ).toEqual([
      ['2026-07', '2026-07-01', '2026-07-31', 'COMPETITOR', 'SMB', 2],
      ['2026-07', '2026-07-01', '2026-07-31', 'OTHER', null, 1],
      ['2026-07', '2026-07-01', '2026-07-31', 'PRICE', 'ENTERPRISE', 1],
      ['2026-07', '2026-07-01', '2026-07-31', 'PRICE', 'SMB', 1],
      ['2026-08', '2026-08-01', '2026-08-14', 'PRICE', 'MID_MARKET', 1],
    ]);
  });

  it('reports by day, and over the whole range without groupBy', async () => {
    const days = await lostReasons(access, {
      from: '2026-07-06T12:00:00.000Z',
      to: '2026-07-08T00:00:00.000Z',
      groupBy: 'DAY',
    });
    expect(days.map((r) => [r.period, r.reason, r.segment, r.lost])).toEqual([
      ['2026-07-06', 'PRICE', 'SMB', 1],
      ['2026-07-07', 'PRICE', 'ENTERPRISE', 1],
    ]);
    const year = await lostReasons(access, {
      from: '2026-01-01T00:00:00.000Z',
      to: '2027-01-01T00:00:00.000Z',
    });
    expect(year.map((r) => [r.period, r.reason, r.segment, r.lost])).toEqual([
      ['2026-01-01/2026-12-31', 'COMPETITOR', 'SMB', 2],
      ['2026-01-01/2026-12-31', 'OTHER', null, 1],
      ['2026-01-01/2026-12-31', 'PRICE', 'ENTERPRISE', 1],
      ['2026-01-01/2026-12-31', 'PRICE', 'MID_MARKET', 1],
      ['2026-01-01/2026-12-31', 'PRICE', 'SMB', 1],
    ]);
  });

  it('leaves out losses taken back by a reopening, and empty periods', async () => {
    expect(
      await lostReasons(access, {
        from: '2026-07-08T00:00:00.000Z',
        to: '2026-07-13T00:00:00.000Z',
        groupBy: 'DAY',
      }),
    ).toEqual([]);
    expect(await lostReasons(access, { from: JULY.to, to: JULY.from, groupBy: 'WEEK' })).toEqual(
      [],
    );
    expect(
      await lostReasons(access, {
        from: '2025-01-01T00:00:00.000Z',
        to: '2026-01-01T00:00:00.000Z',
      }),
    ).toEqual([]);
  });
});
