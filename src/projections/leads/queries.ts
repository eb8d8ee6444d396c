import type { Stage } from '../../domain/shared/values';
import type { Condition, Doc, Filter, Scalar } from '../../readstore/port';
import {
  emptyConnection,
  findAll,
  findConnection,
  sortIn,
  type Connection,
  type Ordering,
  type PageArgs,
} from '../connection';
import type { ReadModelAccess } from '../projection';
import {
  asLeadDoc,
  LEAD_TOUCHES,
  LEADS,
  type HandoffRecord,
  type LeadDoc,
  type SlaStatus,
  type TouchDoc,
  touchDocId,
} from './projection';

/** A lead as the API serves it. PII is as stored: masking is the API's job. */
export interface LeadView extends Omit<
  LeadDoc,
  '_id' | 'leadId' | 'lifecycleStage' | 'stageDates' | 'openDeals' | 'wonDeals' | 'lostDeals'
> {
  id: string;
  /**
   * Where the lead stands: WON once any of its deals is won, LOST when it is an opportunity
   * whose deals are all lost, otherwise its own stage.
   */
  stage: Stage;
  /** The lead's own stage, deal outcomes aside. */
  lifecycleStage: Stage;
  /** When the lead most recently entered each stage it reached. */
  stageDates: Partial<Record<Stage, string>>;
  currentHandoff: HandoffRecord | null;
  deals: { open: number; won: number; lost: number };
}

export const stageOf = (lead: LeadDoc): Stage => {
  if (lead.wonDeals > 0) return 'WON';
  if (lead.lifecycleStage === 'OPPORTUNITY' && lead.openDeals <= 0 && lead.lostDeals > 0) {
    return 'LOST';
  }
  return lead.lifecycleStage;
};

const toLead = (doc: Doc): LeadView => {
  const lead = asLeadDoc(doc);
  return {
    id: lead.leadId,
    stage: stageOf(lead),
    lifecycleStage: lead.lifecycleStage,
    ownerRepId: lead.ownerRepId,
    team: lead.team,
    segment: lead.segment,
    channel: lead.channel,
    campaignId: lead.campaignId,
    email: lead.email,
    name: lead.name,
    company: lead.company,
    phone: lead.phone ?? null,
    forgotten: lead.forgotten,
    scores: lead.scores,
    stageDates: lead.stageDates ?? {},
    firstTouch: lead.firstTouch,
    lastTouch: lead.lastTouch,
    touchCount: lead.touchCount,
    handoffs: lead.handoffs,
    currentHandoff: lead.handoffs.at(-1) ?? null,
    slaStatus: lead.slaStatus,
    dealIds: lead.dealIds,
    deals: { open: lead.openDeals, won: lead.wonDeals, lost: lead.lostDeals },
    capturedAt: lead.capturedAt,
    updatedAt: lead.updatedAt,
  };
};

export const getLead = async (access: ReadModelAccess, id: string): Promise<LeadView | null> => {
  const doc = await access.store.get(access.collection(LEADS), id);
  return doc ? toLead(doc) : null;
};

/** In the order of `ids`, null where there is no such lead (what a DataLoader batch wants). */
export const getLeads = async (
  access: ReadModelAccess,
  ids: readonly string[],
): Promise<Array<LeadView | null>> => {
  const docs = await access.store.getMany(access.collection(LEADS), ids);
  return docs.map((doc) => (doc ? toLead(doc) : null));
};

export interface TimeRange {
  /** Inclusive. */
  from?: string | null;
  /** Exclusive. */
  to?: string | null;
  /** Exclusive lower bound. */
  after?: string | null;
  /** Inclusive upper bound. */
  until?: string | null;
}

export interface LeadFilter {
  stage?: Stage[] | null;
  ownerRepId?: string[] | null;
  team?: string[] | null;
  segment?: string[] | null;
  channel?: string[] | null;
  campaignId?: string[] | null;
  slaStatus?: SlaStatus[] | null;
  capturedAt?: TimeRange | null;
  updatedAt?: TimeRange | null;
  /** Every one of these holds too. */
  and?: LeadFilter[] | null;
  /** At least one of these holds too (an empty list matches nothing). */
  or?: LeadFilter[] | null;
}

export type LeadOrderField = 'CAPTURED_AT' | 'UPDATED_AT';
export interface LeadOrder {
  field: LeadOrderField;
  direction: 'ASC' | 'DESC';
}

/** Newest first unless asked otherwise. */
export const DEFAULT_LEAD_ORDER: LeadOrder = { field: 'CAPTURED_AT', direction: 'DESC' };

const ORDER_FIELDS: Record<LeadOrderField, string> = {
  CAPTURED_AT: 'capturedAt',
  UPDATED_AT: 'updatedAt',
};

/**
 * A stage filter in terms of the stored fields (`stage` itself is derived, see `stageOf`). Deal
 * counts are non-negative integers, so "none" is written `< 1`: a range the SQLite store answers
 * from the indexed column, where `= 0` must also rule out a JSON `false` in the document.
 */
const stageFilter = (stages: readonly Stage[]): Filter => {
  const none = { lt: 1 };
  const some = { gt: 0 };
  const or: Filter[] = [];
  const own = stages.filter((s) => s !== 'WON' && s !== 'LOST' && s !== 'OPPORTUNITY');
  if (own.length) or.push({ where: { lifecycleStage: { in: own }, wonDeals: none } });
  if (stages.includes('WON')) or.push({ where: { wonDeals: some } });
  if (stages.includes('LOST')) {
    or.push({
      where: { lifecycleStage: 'OPPORTUNITY', wonDeals: none, openDeals: none, lostDeals: some },
    });
  }
  if (stages.includes('OPPORTUNITY')) {
    or.push({
      where: { lifecycleStage: 'OPPORTUNITY', wonDeals: none },
      or: [{ where: { openDeals: some } }, { where: { lostDeals: none } }],
    });
  }
  return { or };
};

const range = (r: TimeRange | null | undefined): Condition | undefined => {
  if (!r) return undefined;
  const iso = (t: string) => new Date(t).toISOString();
  const bounds: Record<string, string> = {};
  if (r.from) bounds.gte = iso(r.from);
  if (r.after) bounds.gt = iso(r.after);
  if (r.to) bounds.lt = iso(r.to);
  if (r.until) bounds.lte = iso(r.until);
  return Object.keys(bounds).length ? bounds : undefined;
};

/** The store filter for a lead list filter; null when an empty list makes it match nothing. */
export const leadStoreFilter = (filter: LeadFilter = {}): Filter | null => {
  const lists = [filter.stage, filter.ownerRepId, filter.team, filter.segment, filter.channel];
  if ([...lists, filter.campaignId, filter.slaStatus].some((l) => l && l.length === 0)) return null;
  const where: Record<string, Condition> = {};
  const and: Filter[] = [];
  const list = (field: string, values: readonly string[] | null | undefined) => {
    if (values) where[field] = { in: [...values] };
  };
  list('ownerRepId', filter.ownerRepId);
  list('team', filter.team);
  list('segment', filter.segment);
  list('channel', filter.channel);
  list('campaignId', filter.campaignId);
  list('slaStatus', filter.slaStatus);
  const captured = range(filter.capturedAt);
  if (captured) where.capturedAt = captured;
  const updated = range(filter.updatedAt);
  if (updated) where.updatedAt = updated;
  if (filter.stage) and.push(stageFilter(filter.stage));
  for (const sub of filter.and ?? []) {
    const f = leadStoreFilter(sub);
    if (!f) return null;
    and.push(f);
  }
  if (filter.or) {
    const or = filter.or.map(leadStoreFilter).filter((f): f is Filter => f !== null);
    if (or.length === 0) return null;
    and.push({ or });
  }
  return { where, ...(and.length ? { and } : {}) };
};

const leadOrdering = (order: LeadOrder): Ordering => {
  const direction = order.direction === 'ASC' ? 'asc' : 'desc';
  const field = ORDER_FIELDS[order.field];
  return {
    name: `leads:${field}:${direction}`,
    keys: [
      { field, direction },
      { field: 'leadId', direction },
    ],
  };
};

export interface ListLeadsArgs extends PageArgs {
  filter?: LeadFilter | null;
  orderBy?: LeadOrder | null;
}

/** A Relay page of leads; throws `InvalidPageError` for a foreign cursor or bad sizes. */
export const listLeads = async (
  access: ReadModelAccess,
  args: ListLeadsArgs = {},
): Promise<Connection<LeadView>> => {
  const ordering = leadOrdering(args.orderBy ?? DEFAULT_LEAD_ORDER);
  const filter = leadStoreFilter(args.filter ?? {});
  if (!filter) return emptyConnection(ordering, args);
  return findConnection(access.store, access.collection(LEADS), filter, ordering, args, toLead);
};

export type TouchView = Omit<TouchDoc, '_id'>;

const toTouch = (doc: Doc): TouchView => {
  const { _id, _pos, ...touch } = doc as unknown as TouchDoc & { _pos?: string };
  return touch;
};

export const TOUCH_ORDER: Ordering = {
  name: 'touches',
  keys: [
    { field: 'occurredAt', direction: 'asc' },
    { field: 'touchId', direction: 'asc' },
  ],
};

/** A lead's touches, oldest first. */
export const listTouches = (
  access: ReadModelAccess,
  leadId: string,
  page: PageArgs = {},
): Promise<Connection<TouchView>> =>
  findConnection(
    access.store,
    access.collection(LEAD_TOUCHES),
    { where: { leadId } },
    TOUCH_ORDER,
    page,
    toTouch,
  );

/** Sort values of a touch in `TOUCH_ORDER`, then its unique id, for `pageOf`. */
export const touchKey = (t: TouchView): Scalar[] => [
  t.occurredAt,
  t.touchId,
  touchDocId(t.leadId, t.touchId),
];

/** Every touch of each lead, oldest first, in the order of `leadIds` (one read for all). */
export const listTouchesOf = async (
  access: ReadModelAccess,
  leadIds: readonly string[],
): Promise<TouchView[][]> => {
  const byLead = new Map<string, TouchView[]>(leadIds.map((id) => [id, []]));
  const docs = await findAll(access.store, access.collection(LEAD_TOUCHES), {
    where: { leadId: { in: [...new Set(leadIds)] } },
  });
  for (const doc of docs) byLead.get(doc.leadId as string)?.push(toTouch(doc));
  for (const touches of byLead.values()) sortIn(touches, TOUCH_ORDER, touchKey);
  return leadIds.map((id) => byLead.get(id)!);
};
