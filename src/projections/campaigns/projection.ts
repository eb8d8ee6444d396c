import type { CampaignCostRecorded, CampaignRegistered } from '../../domain/campaign/events';
import type { DealLost, DealOpened, DealReopened, DealWon } from '../../domain/deal/events';
import type { HandoffRejected, LeadCaptured } from '../../domain/lead/events';
import type { DocChange, Value } from '../../readstore/port';
import { dayOf } from '../calendar';
import type { DocView, Projection, ProjectionEvent } from '../projection';
import { splitMinor, toMinor } from '../money';
import { rollup } from '../rollup';

/**
 * `campaigns`: the closed loop of each campaign, from the leads it brought to the revenue they
 * won, counted per campaign x day, month and year (`campaign_stats`, see rollup.ts).
 *
 * - A lead belongs to the campaign it was captured with (LeadCaptured); `campaign_leads` keeps
 *   that for leads with a campaign. Lead stages count once per lead, at its first entry, on
 *   that day (as the funnel does): leads, mqls, handedOff, accepted (SAL), rejected (with the
 *   reason of the first rejection), recycled, sqls.
 * - Deals count per campaign of their leads: opportunities when opened, won (with revenue) or
 *   lost (by reason) when closed. A deal's sources are the distinct capture campaigns of its
 *   leads, plus one "no campaign" source when some lead has none (or is unknown). Each
 *   campaign counts the deal once, and revenue is split equally over the sources, in minor
 *   units (the first sources, by id, take the rounding units); the share of the "no campaign"
 *   source is reported by no campaign, so a deal half sourced by organic search credits its
 *   campaign with half its revenue. Revenue stays per currency (`revenue.<currency>`).
 * - A reopened deal is no longer won or lost: `campaign_deals` remembers each closed deal's
 *   outcome, and the reopening subtracts it from the day it was counted on.
 * - Costs are kept as recorded (`campaign_costs`, one document per CampaignCostRecorded);
 *   reports spread each evenly over the days of its period.
 */

export const CAMPAIGN_INFO = 'campaign_info';
export const CAMPAIGN_COSTS = 'campaign_costs';
export const CAMPAIGN_STATS = 'campaign_stats';
export const CAMPAIGN_LEADS = 'campaign_leads';
export const CAMPAIGN_DEALS = 'campaign_deals';

export type CampaignInfoDoc = { _id: string; campaignId: string; name: string; channel: string };

export type CampaignCostDoc = {
  _id: string;
  campaignId: string;
  amount: number;
  currency: string;
  /** Calendar days, both included. */
  periodStart: string;
  periodEnd: string;
};

/** Stage counters of a campaign's stats documents (a lead's stage, or a deal's). */
export const CAMPAIGN_COUNTS = [
  'leads',
  'mqls',
  'handedOff',
  'accepted',
  'rejected',
  'recycled',
  'sqls',
  'opportunities',
  'won',
  'lost',
] as const;
export type CampaignCount = (typeof CAMPAIGN_COUNTS)[number];

export type CampaignStatsDoc = Partial<Record<CampaignCount, number>> & {
  _id: string;
  grain: string;
  bucket: string;
  campaignId: string;
  rejectedByReason?: Record<string, number>;
  lostByReason?: Record<string, number>;
  /** Won revenue in minor units, per currency. */
  revenue?: Record<string, number>;
};

/** The lead stages counted, by event, and the flag each sets on the lead once reached. */
const LEAD_STAGE: Record<string, CampaignCount> = {
  LeadMarketingQualified: 'mqls',
  LeadHandedOff: 'handedOff',
  HandoffAccepted: 'accepted',
  HandoffRejected: 'rejected',
  LeadRecycled: 'recycled',
  LeadSalesQualified: 'sqls',
};

type CampaignLead = { campaignId: string; reached?: Partial<Record<CampaignCount, boolean>> };

/** A closed deal's counted outcome: what its reopening takes back. */
type Outcome = {
  status: 'WON' | 'LOST';
  day: string;
  campaignIds: string[];
  currency: string;
  /** Minor units credited per campaign (same order as `campaignIds`); WON only. */
  shares: number[];
  reason: string | null;
};

/** Marks the sources of a deal whose lead has no (known) campaign. */
const NO_CAMPAIGN = null;

const stats = (day: string, campaignId: string, counts: Record<string, number>): DocChange[] =>
  rollup(CAMPAIGN_STATS, day, { campaignId }, counts);

const readLead = (view: DocView, leadId: string): CampaignLead | undefined =>
  view.get(CAMPAIGN_LEADS, leadId) as unknown as CampaignLead | undefined;

/** The deal's sources: its leads' distinct campaigns by id, then null if some lead has none. */
const sourcesOf = (view: DocView, leadIds: readonly string[]): Array<string | null> => {
  const campaigns = new Set<string>();
  let unsourced = false;
  for (const leadId of leadIds) {
    const campaignId = readLead(view, leadId)?.campaignId;
    if (campaignId) campaigns.add(campaignId);
    else unsourced = true;
  }
  return [...[...campaigns].sort(), ...(unsourced ? [NO_CAMPAIGN] : [])];
};

const projectLeadStage = (e: ProjectionEvent, view: DocView): DocChange[] => {
  const count = LEAD_STAGE[e.type]!;
  const leadId = (e.data as { leadId: string }).leadId;
  const lead = readLead(view, leadId);
  if (!lead || lead.reached?.[count]) return [];
  const counts: Record<string, number> = { [count]: 1 };
  if (e.type === 'HandoffRejected') {
    counts[`rejectedByReason.${(e.data as HandoffRejected).reason}`] = 1;
  }
  return [
    {
      collection: CAMPAIGN_LEADS,
      id: leadId,
      op: { kind: 'set', fields: { [`reached.${count}`]: true } },
    },
    ...stats(dayOf(e.occurredAt), lead.campaignId, counts),
  ];
};

const outcomeCounts = (o: Outcome, i: number, sign: number): Record<string, number> =>
  o.status === 'WON'
    ? { won: sign, [`revenue.${o.currency}`]: sign * o.shares[i]! }
    : { lost: sign, [`lostByReason.${o.reason}`]: sign };

const applyOutcome = (o: Outcome, sign: number): DocChange[] =>
  o.campaignIds.flatMap((campaignId, i) => stats(o.day, campaignId, outcomeCounts(o, i, sign)));

const setOutcome = (dealId: string, outcome: Outcome | null): DocChange => ({
  collection: CAMPAIGN_DEALS,
  id: dealId,
  op: { kind: 'set', fields: { outcome } },
});

const projectOutcome = (e: ProjectionEvent, view: DocView): DocChange[] => {
  const d = e.data as DealWon | DealLost;
  const sources = sourcesOf(view, d.leadIds);
  const minor = toMinor(d.amount, d.currency);
  const shares = splitMinor(minor, sources.length);
  const campaignIds: string[] = [];
  const campaignShares: number[] = [];
  sources.forEach((source, i) => {
    if (source === NO_CAMPAIGN) return;
    campaignIds.push(source);
    campaignShares.push(shares[i]!);
  });
  const outcome: Outcome =
    e.type === 'DealWon'
      ? {
          status: 'WON',
          day: dayOf(e.occurredAt),
          campaignIds,
          currency: d.currency,
          shares: campaignShares,
          reason: null,
        }
      : {
          status: 'LOST',
          day: dayOf(e.occurredAt),
          campaignIds,
          currency: d.currency,
          shares: [],
          reason: (d as DealLost).reason,
        };
  return [setOutcome(d.dealId, outcome), ...applyOutcome(outcome, 1)];
};

const leadIdsOf = (e: ProjectionEvent): string[] => {
  if (e.type in LEAD_STAGE) return [(e.data as { leadId: string }).leadId];
  if (e.type === 'DealOpened' || e.type === 'DealWon' || e.type === 'DealLost') {
    return (e.data as DealOpened).leadIds;
  }
  return [];
};

const project = (e: ProjectionEvent, view: DocView): DocChange[] => {
  switch (e.type) {
    case 'CampaignRegistered': {
      const { campaignId, name, channel } = e.data as CampaignRegistered;
      return [
        {
          collection: CAMPAIGN_INFO,
          id: campaignId,
          op: { kind: 'set', fields: { campaignId, name, channel } },
        },
      ];
    }
    case 'CampaignCostRecorded': {
      const d = e.data as CampaignCostRecorded;
      // A campaign stream's revisions are unique: one document per recorded cost.
      const fields: Record<string, Value> = { ...d };
      return [
        {
          collection: CAMPAIGN_COSTS,
          id: `${d.campaignId}|${e.revision}`,
          op: { kind: 'set', fields },
        },
      ];
    }
    case 'LeadCaptured': {
      const { leadId, campaignId } = e.data as LeadCaptured;
      if (!campaignId) return [];
      return [
        { collection: CAMPAIGN_LEADS, id: leadId, op: { kind: 'set', fields: { campaignId } } },
        ...stats(dayOf(e.occurredAt), campaignId, { leads: 1 }),
      ];
    }
    case 'DealOpened': {
      const day = dayOf(e.occurredAt);
      return sourcesOf(view, (e.data as DealOpened).leadIds).flatMap((source) =>
        source === NO_CAMPAIGN ? [] : stats(day, source, { opportunities: 1 }),
      );
    }
    case 'DealWon':
    case 'DealLost':
      return projectOutcome(e, view);
    case 'DealReopened': {
      const { dealId } = e.data as DealReopened;
      const outcome = view.get(CAMPAIGN_DEALS, dealId)?.outcome as unknown as Outcome | null;
      return outcome ? [setOutcome(dealId, null), ...applyOutcome(outcome, -1)] : [];
    }
    default:
      return e.type in LEAD_STAGE ? projectLeadStage(e, view) : [];
  }
};

export const campaignsProjection: Projection = {
  name: 'campaigns',
  version: 1,
  collections: [
    { name: CAMPAIGN_INFO, indexes: [] },
    { name: CAMPAIGN_COSTS, indexes: [{ fields: ['periodEnd'] }, { fields: ['campaignId'] }] },
    {
      name: CAMPAIGN_STATS,
      indexes: [{ fields: ['grain', 'bucket'] }, { fields: ['campaignId', 'grain', 'bucket'] }],
    },
    { name: CAMPAIGN_LEADS, indexes: [] },
    { name: CAMPAIGN_DEALS, indexes: [] },
  ],
  handles: new Set([
    'CampaignRegistered',
    'CampaignCostRecorded',
    'LeadCaptured',
    ...Object.keys(LEAD_STAGE),
    'DealOpened',
    'DealWon',
    'DealLost',
    'DealReopened',
  ]),
  needs(e) {
    if (e.type === 'DealReopened') {
      return [{ collection: CAMPAIGN_DEALS, id: (e.data as DealReopened).dealId }];
    }
    return leadIdsOf(e).map((id) => ({ collection: CAMPAIGN_LEADS, id }));
  },
  project,
};
