import DataLoader from 'dataloader';
import { DEALS } from '../projections/deals/projection';
import { getDeals, type DealView } from '../projections/deals/queries';
import { LEAD_TOUCHES, LEADS } from '../projections/leads/projection';
import {
  getLeads,
  listTouchesOf,
  type LeadView,
  type TouchView,
} from '../projections/leads/queries';
import type { ReadModelAccess } from '../projections/projection';
import { REPS } from '../projections/reps/projection';
import { getReps, type RepView } from '../projections/reps/queries';
import { cacheKey, NO_RESULT_CACHE, type ResultCache } from './result-cache';

export interface Loaders {
  lead: DataLoader<string, LeadView | null>;
  rep: DataLoader<string, RepView | null>;
  deal: DataLoader<string, DealView | null>;
  /** Every touch of a lead, oldest first (connections page them in memory). */
  touches: DataLoader<string, TouchView[]>;
}

/**
 * One set per request: a page of 100 leads reads their owners, deals and touches in one go each
 * (and a batch asked for again, e.g. the same page, comes from the result cache while the read
 * models are unchanged).
 */
export const createLoaders = (
  access: ReadModelAccess,
  cache: ResultCache = NO_RESULT_CACHE,
): Loaders => {
  const cached =
    <T>(name: string, collection: string, load: (ids: readonly string[]) => Promise<T[]>) =>
    (ids: readonly string[]) =>
      cache.get(cacheKey(name, access.collection(collection), ids), () => load(ids));
  return {
    lead: new DataLoader(cached('leads', LEADS, (ids) => getLeads(access, ids))),
    rep: new DataLoader(cached('reps', REPS, (ids) => getReps(access, ids))),
    deal: new DataLoader(cached('deals', DEALS, (ids) => getDeals(access, ids))),
    touches: new DataLoader(cached('touches', LEAD_TOUCHES, (ids) => listTouchesOf(access, ids))),
  };
};
