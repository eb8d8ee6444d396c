import { rollupDocId } from '../../src/projections/rollup';
import {
  LOST_REASON_DEALS,
  LOST_REASON_LEADS,
  LOST_REASON_STATS,
  lostReasonsProjection,
} from '../../src/projections/lost-reasons/projection';
import { expectSameDocumentsAnyBatching, LOST_HISTORY } from './analytics.fixtures';
import { MemoryReadModel } from './harness';

describe('lostReasons projection', () => {
  const model = new MemoryReadModel(lostReasonsProjection).apply(LOST_HISTORY, 3);
  const stats = (
    grain: 'D' | 'M' | 'Y',
    bucket: string,
    reason: string,
    segment: string | null,
    competitor: string | null,
  ) => {
    const doc = model.get(
      LOST_REASON_STATS,
      rollupDocId(grain, bucket, [reason, segment, competitor]),
    );
    if (!doc) return undefined;
    const { _id, _pos, grain: _g, bucket: _b, ...fields } = doc;
    return fields;
  };

  it('counts a loss under its reason, the first lead’s segment and the competitor', () => {
    expect(stats('D', '2026-07-06', 'PRICE', 'SMB', 'Rival')).toEqual({
      reason: 'PRICE',
      segment: 'SMB',
      competitor: 'Rival',
      lost: 1,
      amount: { EUR: 100000 },
    });
    // D2's first lead is E1.
    expect(stats('D', '2026-07-07', 'PRICE', 'ENTERPRISE', null)).toMatchObject({
      lost: 1,
      amount: { USD: 200000 },
    });
    expect(stats('D', '2026-07-31', 'OTHER', null, null)).toMatchObject({ lost: 1 });
    expect(stats('M', '2026-07', 'COMPETITOR', 'SMB', 'Rival')).toMatchObject({ lost: 1 });
    expect(model.get(LOST_REASON_LEADS, 'E1')).toMatchObject({ segment: 'ENTERPRISE' });
  });

  it('takes back a reopened loss from its day, and counts a new loss on its own day', () => {
    expect(stats('D', '2026-07-08', 'TIMING', 'MID_MARKET', null)).toMatchObject({
      lost: 0,
      amount: { EUR: 0 },
    });
    expect(stats('Y', '2026', 'NO_DECISION', 'MID_MARKET', 'Rival')).toMatchObject({ lost: 0 });
    expect(stats('D', '2026-08-03', 'PRICE', 'MID_MARKET', null)).toMatchObject({
      lost: 1,
      amount: { EUR: 30000 },
    });
    expect(model.get(LOST_REASON_DEALS, 'D5')).toMatchObject({ loss: null });
    expect(model.get(LOST_REASON_DEALS, 'D6')).toMatchObject({
      loss: { day: '2026-08-03', reason: 'PRICE', segment: 'MID_MARKET', minor: 30000 },
    });
  });

  it('gives the same documents however the events are batched', () => {
    expectSameDocumentsAnyBatching(lostReasonsProjection, LOST_HISTORY);
  });
});
