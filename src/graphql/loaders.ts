import DataLoader from 'dataloader';
import { getDeals, type DealView } from '../projections/deals/queries';
import {
  getLeads,
  listTouchesOf,
  type LeadView,
  type TouchView,
} from '../projections/leads/queries';
import type { ReadModelAccess } from '../projections/projection';
import { getReps, type RepView } from '../projections/reps/queries';

export interface Loaders {
  lead: DataLoader<string, LeadView | null>;
  rep: DataLoader<string, RepView | null>;
  deal: DataLoader<string, DealView | null>;
  /** Every touch of a lead, oldest first (connections page them in memory). */
  touches: DataLoader<string, TouchView[]>;
}

/** One set per request: a page of 100 leads reads their owners, deals and touches in one go each. */
export const createLoaders = (access: ReadModelAccess): Loaders => ({
  lead: new DataLoader((ids) => getLeads(access, ids)),
  rep: new DataLoader((ids) => getReps(access, ids)),
  deal: new DataLoader((ids) => getDeals(access, ids)),
  touches: new DataLoader((ids) => listTouchesOf(access, ids)),
});
