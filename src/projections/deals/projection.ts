import {
  DEAL_EVENTS,
  type DealAmountChanged,
  type DealLost,
  type DealOpened,
  type DealReopened,
  type DealStageChanged,
  type DealWon,
} from '../../domain/deal/events';
import type { DocChange } from '../../readstore/port';
import type { Projection, ProjectionEvent } from '../projection';

/**
 * `deals`: the current state of every deal (the lead page's deals, a rep's pipeline). Every
 * event of a deal's stream sets the fields it changes; none needs to read the document.
 */

export const DEALS = 'deals';

export type DealDoc = {
  _id: string;
  dealId: string;
  leadIds: string[];
  account: string;
  amount: number;
  currency: string;
  ownerRepId: string;
  status: 'OPEN' | 'WON' | 'LOST';
  pipelineStage: string | null;
  openedAt: string;
  /** When it was last won or lost; null while open. */
  closedAt: string | null;
  lostReason: string | null;
  competitor: string | null;
  updatedAt: string;
};

/** Every event of a deal's stream, as the domain defines them. */
const DEAL_EVENT_TYPES = Object.keys(DEAL_EVENTS);

const set = (dealId: string, fields: Partial<DealDoc>): DocChange => ({
  collection: DEALS,
  id: dealId,
  op: { kind: 'set', fields },
});

const project = (event: ProjectionEvent): DocChange[] => {
  const at = event.occurredAt;
  switch (event.type) {
    case 'DealOpened': {
      const d = event.data as DealOpened;
      return [
        set(d.dealId, {
          dealId: d.dealId,
          leadIds: d.leadIds,
          account: d.account,
          amount: d.amount,
          currency: d.currency,
          ownerRepId: d.ownerRepId,
          status: 'OPEN',
          pipelineStage: null,
          openedAt: at,
          closedAt: null,
          lostReason: null,
          competitor: null,
          updatedAt: at,
        }),
      ];
    }
    case 'DealStageChanged': {
      const d = event.data as DealStageChanged;
      return [set(d.dealId, { pipelineStage: d.toStage, updatedAt: at })];
    }
    case 'DealAmountChanged': {
      const d = event.data as DealAmountChanged;
      return [set(d.dealId, { amount: d.toAmount, currency: d.currency, updatedAt: at })];
    }
    case 'DealWon': {
      const d = event.data as DealWon;
      return [
        set(d.dealId, {
          status: 'WON',
          amount: d.amount,
          currency: d.currency,
          closedAt: at,
          lostReason: null,
          competitor: null,
          updatedAt: at,
        }),
      ];
    }
    case 'DealLost': {
      const d = event.data as DealLost;
      return [
        set(d.dealId, {
          status: 'LOST',
          closedAt: at,
          lostReason: d.reason,
          competitor: d.competitor,
          updatedAt: at,
        }),
      ];
    }
    case 'DealReopened': {
      const d = event.data as DealReopened;
      return [
        set(d.dealId, {
          status: 'OPEN',
          closedAt: null,
          lostReason: null,
          competitor: null,
          updatedAt: at,
        }),
      ];
    }
    default:
      return [];
  }
};

export const dealsProjection: Projection = {
  name: 'deals',
  version: 1,
  collections: [
    {
      name: DEALS,
      indexes: [{ fields: ['ownerRepId', 'openedAt'] }, { fields: ['status', 'openedAt'] }],
    },
  ],
  handles: new Set(DEAL_EVENT_TYPES),
  project,
};
