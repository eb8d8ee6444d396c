import type { DealOpened, DealReopened, DealWon } from '../../domain/deal/events';
import type { GoalsSet } from '../../domain/goals/events';
import type { DocChange, Value } from '../../readstore/port';
import { toMinor } from '../money';
import { dayOf } from '../calendar';
import type { DocView, Projection, ProjectionEvent } from '../projection';

/**
 * `goals`: the targets of each period (`goal_targets`, the latest GoalsSet of the period) and
 * the daily actuals they are measured against (`goal_daily`, one document per UTC day):
 * - `mqls`, `sals`, `sqls`: leads entering the stage for the first time that day (a lead
 *   counts once per stage, as in the funnel; `goal_leads` remembers what each reached);
 * - `opened`, `pipeline.<currency>`: deals opened that day and their amount at opening;
 * - `wonDeals.<currency>`, `revenue.<currency>`: deals won that day and their amount.
 * Money is in minor units (see campaigns/money.ts). A deal reopened after its win takes the win
 * back from the day it was counted on (`goal_deals`), as it is no longer won.
 */

export const GOAL_TARGETS = 'goal_targets';
export const GOAL_DAILY = 'goal_daily';
export const GOAL_LEADS = 'goal_leads';
export const GOAL_DEALS = 'goal_deals';

export type GoalTargetsDoc = GoalsSet & { _id: string; setAt: string };

export type GoalDailyDoc = {
  _id: string;
  day: string;
  mqls?: number;
  sals?: number;
  sqls?: number;
  opened?: number;
  pipeline?: Record<string, number>;
  wonDeals?: Record<string, number>;
  revenue?: Record<string, number>;
};

const STAGE_OF_EVENT: Record<string, 'mqls' | 'sals' | 'sqls'> = {
  LeadMarketingQualified: 'mqls',
  HandoffAccepted: 'sals',
  LeadSalesQualified: 'sqls',
};

/** A counted win: what the deal's reopening takes back. */
type Win = { day: string; currency: string; minor: number };

const daily = (day: string, counts: Record<string, number>): DocChange[] => [
  { collection: GOAL_DAILY, id: day, op: { kind: 'setOnInsert', fields: { day } } },
  { collection: GOAL_DAILY, id: day, op: { kind: 'inc', fields: counts } },
];

const winCounts = (w: Win, sign: number): Record<string, number> => ({
  [`wonDeals.${w.currency}`]: sign,
  [`revenue.${w.currency}`]: sign * w.minor,
});

const setWin = (dealId: string, win: Win | null): DocChange => ({
  collection: GOAL_DEALS,
  id: dealId,
  op: { kind: 'set', fields: { win } },
});

const project = (e: ProjectionEvent, view: DocView): DocChange[] => {
  const day = dayOf(e.occurredAt);
  switch (e.type) {
    case 'GoalsSet': {
      const fields: Record<string, Value> = { ...(e.data as GoalsSet), setAt: e.occurredAt };
      return [
        { collection: GOAL_TARGETS, id: (e.data as GoalsSet).period, op: { kind: 'set', fields } },
      ];
    }
    case 'DealOpened': {
      const d = e.data as DealOpened;
      return daily(day, { opened: 1, [`pipeline.${d.currency}`]: toMinor(d.amount, d.currency) });
    }
    case 'DealWon': {
      const d = e.data as DealWon;
      const win: Win = { day, currency: d.currency, minor: toMinor(d.amount, d.currency) };
      return [setWin(d.dealId, win), ...daily(day, winCounts(win, 1))];
    }
    case 'DealReopened': {
      const { dealId } = e.data as DealReopened;
      const win = view.get(GOAL_DEALS, dealId)?.win as unknown as Win | null | undefined;
      return win ? [setWin(dealId, null), ...daily(win.day, winCounts(win, -1))] : [];
    }
    default: {
      const stage = STAGE_OF_EVENT[e.type];
      if (!stage) return [];
      const leadId = (e.data as { leadId: string }).leadId;
      const reached = view.get(GOAL_LEADS, leadId)?.[stage];
      if (reached) return [];
      return [
        { collection: GOAL_LEADS, id: leadId, op: { kind: 'set', fields: { [stage]: true } } },
        ...daily(day, { [stage]: 1 }),
      ];
    }
  }
};

export const goalsProjection: Projection = {
  name: 'goals',
  version: 1,
  collections: [
    { name: GOAL_TARGETS, indexes: [] },
    { name: GOAL_DAILY, indexes: [{ fields: ['day'] }] },
    { name: GOAL_LEADS, indexes: [] },
    { name: GOAL_DEALS, indexes: [] },
  ],
  handles: new Set([
    'GoalsSet',
    ...Object.keys(STAGE_OF_EVENT),
    'DealOpened',
    'DealWon',
    'DealReopened',
  ]),
  needs(e) {
    if (e.type in STAGE_OF_EVENT) {
      return [{ collection: GOAL_LEADS, id: (e.data as { leadId: string }).leadId }];
    }
    if (e.type === 'DealReopened') {
      return [{ collection: GOAL_DEALS, id: (e.data as DealReopened).dealId }];
    }
    return [];
  },
  project,
};
