import type { DealLost, DealReopened } from '../../domain/deal/events';
import type { LeadCaptured } from '../../domain/lead/events';
import type { DocChange } from '../../readstore/port';
import { toMinor } from '../money';
import { rollup } from '../rollup';
import { dayOf } from '../calendar';
import type { Projection, ProjectionEvent } from '../projection';

/**
 * `lostReasons`: lost deals per reason x segment x competitor x day, month and year
 * (`lost_reason_stats`, see rollup.ts): how many (`lost`) and how much (`amount.<currency>`,
 * minor units).
 *
 * The segment is that of the deal's first lead (the first of the DealLost's lead ids, as
 * captured: `lost_reason_leads`; null when that lead is unknown). The competitor is the one
 * named on the loss, as written (null when none). A deal reopened after its loss is no longer
 * lost: `lost_reason_deals` remembers the counted loss, and the reopening takes it back from
 * the day it was counted on; a later loss counts again, on its own day.
 */

export const LOST_REASON_STATS = 'lost_reason_stats';
export const LOST_REASON_LEADS = 'lost_reason_leads';
export const LOST_REASON_DEALS = 'lost_reason_deals';

export type LostReasonStatsDoc = {
  _id: string;
  grain: string;
  bucket: string;
  reason: string;
  segment: string | null;
  competitor: string | null;
  lost?: number;
  /** Lost amount in minor units, per currency. */
  amount?: Record<string, number>;
};

/** A loss as counted: what the deal's reopening takes back. */
type Loss = {
  day: string;
  reason: string;
  segment: string | null;
  competitor: string | null;
  currency: string;
  minor: number;
};

const count = (loss: Loss, sign: number): DocChange[] =>
  rollup(
    LOST_REASON_STATS,
    loss.day,
    { reason: loss.reason, segment: loss.segment, competitor: loss.competitor },
    { lost: sign, [`amount.${loss.currency}`]: sign * loss.minor },
  );

const setLoss = (dealId: string, loss: Loss | null): DocChange => ({
  collection: LOST_REASON_DEALS,
  id: dealId,
  op: { kind: 'set', fields: { loss } },
});

export const lostReasonsProjection: Projection = {
  name: 'lostReasons',
  version: 1,
  collections: [
    {
      name: LOST_REASON_STATS,
      indexes: [{ fields: ['grain', 'bucket'] }],
    },
    { name: LOST_REASON_LEADS, indexes: [] },
    { name: LOST_REASON_DEALS, indexes: [] },
  ],
  handles: new Set(['LeadCaptured', 'DealLost', 'DealReopened']),
  needs(e: ProjectionEvent) {
    if (e.type === 'DealLost') {
      return [{ collection: LOST_REASON_LEADS, id: (e.data as DealLost).leadIds[0]! }];
    }
    if (e.type === 'DealReopened') {
      return [{ collection: LOST_REASON_DEALS, id: (e.data as DealReopened).dealId }];
    }
    return [];
  },
  project(e, view) {
    switch (e.type) {
      case 'LeadCaptured': {
        const { leadId, segment } = e.data as LeadCaptured;
        return [
          { collection: LOST_REASON_LEADS, id: leadId, op: { kind: 'set', fields: { segment } } },
        ];
      }
      case 'DealLost': {
        const d = e.data as DealLost;
        const segment = view.get(LOST_REASON_LEADS, d.leadIds[0]!)?.segment as string | undefined;
        const loss: Loss = {
          day: dayOf(e.occurredAt),
          reason: d.reason,
          segment: segment ?? null,
          competitor: d.competitor,
          currency: d.currency,
          minor: toMinor(d.amount, d.currency),
        };
        return [setLoss(d.dealId, loss), ...count(loss, 1)];
      }
      case 'DealReopened': {
        const { dealId } = e.data as DealReopened;
        const loss = view.get(LOST_REASON_DEALS, dealId)?.loss as unknown as
          Loss | null | undefined;
        return loss ? [setLoss(dealId, null), ...count(loss, -1)] : [];
      }
      default:
        return [];
    }
  },
};
