import type { DealWon } from '../../domain/deal/events';
import type { LeadCaptured, LeadHandedOff } from '../../domain/lead/events';
import type { Stage } from '../../domain/shared/values';
import type { DocChange } from '../../readstore/port';
import { dayOf } from '../calendar';
import { bucketOf } from '../histogram';
import type { DocView, Projection, ProjectionEvent } from '../projection';
import { rollup, rollupDocId, type Grain } from '../rollup';

/**
 * `funnel`: stage entries counted once per lead and stage (its first entry), two ways.
 * - Flow (`funnel_flow`): per day of entry x segment x channel x campaign x team.
 * - Cohort (`funnel_cohort`): per capture day x the same dimensions, counting the stages the
 *   leads captured that day reached so far.
 * Both are kept per day, month and year at once (see rollup.ts), so a report reads the few
 * whole years, months and days that tile its period.
 * Each first entry of a stage of the progression also records, in a log histogram
 * (`hist.<stage>.<bucket>`), the seconds since the lead last entered the previous stage.
 *
 * The lead's dimensions and entry times live in `funnel_leads`, read through `needs`.
 * Segment, channel and campaign are the lead's source (LeadCaptured); team is the team of its
 * latest handoff (null before any). Flow documents take the team as of the entry, so LEAD and
 * MQL entries are usually team-less; a cohort follows the lead's latest team, so a re-handoff
 * to another team moves the lead's whole contribution (counts and durations) to that team.
 */

export const FUNNEL_FLOW = 'funnel_flow';
export const FUNNEL_COHORT = 'funnel_cohort';
export const FUNNEL_LEADS = 'funnel_leads';

/** The progression, in order; each stage's durations are from the one before. */
export const PROGRESSION = [
  'LEAD',
  'MQL',
  'HANDED_OFF',
  'SAL',
  'SQL',
  'OPPORTUNITY',
  'WON',
] as const;
/** Ways out of the funnel (counted, no durations). */
export const EXITS = ['LOST', 'RECYCLED', 'DISQUALIFIED'] as const;
export const FUNNEL_STAGES: readonly Stage[] = [...PROGRESSION, ...EXITS];

export const FUNNEL_DIMENSIONS = ['segment', 'channel', 'campaignId', 'team'] as const;
export type FunnelDimension = (typeof FUNNEL_DIMENSIONS)[number];
export type FunnelDims = Record<FunnelDimension, string | null>;

/** A lead as the funnel follows it. */
export type FunnelLead = {
  _id: string;
  captureDay: string;
  segment: string;
  channel: string;
  campaignId: string | null;
  team: string | null;
  /** First entry per stage reached: what is counted. */
  reached: Partial<Record<Stage, string>>;
  /** Latest entry per stage: where a later stage's duration starts. */
  latest: Partial<Record<Stage, string>>;
  /** Seconds from the previous stage, per progression stage reached. */
  seconds: Partial<Record<Stage, number>>;
};

/**
 * A flow or cohort document: `bucket` (of `grain`) holds the entry day (flow) or the capture
 * day (cohort).
 */
export type FunnelDoc = FunnelDims & {
  _id: string;
  grain: Grain;
  bucket: string;
  entries: Partial<Record<Stage, number>>;
  hist: Partial<Record<Stage, Record<string, number>>>;
};

/** The dimensions in FUNNEL_DIMENSIONS order: the order of the ids' values. */
const orderedDims = (dims: FunnelDims): FunnelDims =>
  Object.fromEntries(FUNNEL_DIMENSIONS.map((d) => [d, dims[d]])) as FunnelDims;

export const funnelDocId = (grain: Grain, bucket: string, dims: FunnelDims): string =>
  rollupDocId(
    grain,
    bucket,
    FUNNEL_DIMENSIONS.map((d) => dims[d]),
  );

const dimsOf = (lead: FunnelLead): FunnelDims => ({
  segment: lead.segment,
  channel: lead.channel,
  campaignId: lead.campaignId,
  team: lead.team,
});

const STAGE_OF_EVENT: Record<string, Stage> = {
  LeadCaptured: 'LEAD',
  LeadMarketingQualified: 'MQL',
  LeadHandedOff: 'HANDED_OFF',
  HandoffAccepted: 'SAL',
  LeadSalesQualified: 'SQL',
  LeadConverted: 'OPPORTUNITY',
  DealWon: 'WON',
  DealLost: 'LOST',
  LeadRecycled: 'RECYCLED',
  LeadDisqualified: 'DISQUALIFIED',
};

const previousOf = (stage: Stage): Stage | undefined => {
  const i = (PROGRESSION as readonly Stage[]).indexOf(stage);
  return i > 0 ? PROGRESSION[i - 1] : undefined;
};

const stageFields = (lead: FunnelLead, stage: Stage): Record<string, number> => {
  const seconds = lead.seconds[stage];
  return seconds === undefined
    ? { [`entries.${stage}`]: 1 }
    : { [`entries.${stage}`]: 1, [`hist.${stage}.${bucketOf(seconds)}`]: 1 };
};

/**
 * Adds `fields` (times `sign`) to the counts of `dims` on `day`, at every grain: all counting
 * goes through here, so a cohort moved to another team leaves every grain.
 */
const count = (
  collection: string,
  day: string,
  dims: FunnelDims,
  fields: Record<string, number>,
  sign = 1,
): DocChange[] => {
  const by: Record<string, number> = {};
  for (const f in fields) by[f] = sign * fields[f]!;
  return rollup(collection, day, orderedDims(dims), by);
};

/** Everything one lead adds to its cohort document. */
const cohortFields = (lead: FunnelLead): Record<string, number> => {
  const fields: Record<string, number> = {};
  for (const stage of FUNNEL_STAGES) {
    if (lead.reached[stage]) Object.assign(fields, stageFields(lead, stage));
  }
  return fields;
};

/** A new stage counts in the lead's cohort; a new team moves its whole contribution there. */
const cohortChanges = (
  before: FunnelLead | undefined,
  after: FunnelLead,
  stage: Stage,
  first: boolean,
): DocChange[] => {
  if (before && before.team === after.team) {
    return first
      ? count(FUNNEL_COHORT, after.captureDay, dimsOf(after), stageFields(after, stage))
      : [];
  }
  return [
    ...(before
      ? count(FUNNEL_COHORT, before.captureDay, dimsOf(before), cohortFields(before), -1)
      : []),
    ...count(FUNNEL_COHORT, after.captureDay, dimsOf(after), cohortFields(after)),
  ];
};

/** The lead after entering `stage` at `at`, and whether this was its first entry. */
const enter = (
  lead: FunnelLead,
  stage: Stage,
  at: string,
): { lead: FunnelLead; first: boolean } => {
  const latest = { ...lead.latest, [stage]: at };
  if (lead.reached[stage]) return { lead: { ...lead, latest }, first: false };
  const previous = previousOf(stage);
  const since = previous ? lead.latest[previous] : undefined;
  const seconds =
    since === undefined
      ? lead.seconds
      : { ...lead.seconds, [stage]: Math.max(0, (Date.parse(at) - Date.parse(since)) / 1000) };
  return {
    lead: { ...lead, latest, reached: { ...lead.reached, [stage]: at }, seconds },
    first: true,
  };
};

const projectEntry = (
  before: FunnelLead | undefined,
  changed: FunnelLead,
  stage: Stage,
  at: string,
): DocChange[] => {
  const { lead, first } = enter(changed, stage, at);
  const { _id, ...fields } = lead;
  return [
    { collection: FUNNEL_LEADS, id: _id, op: { kind: 'set', fields } },
    ...(first ? count(FUNNEL_FLOW, dayOf(at), dimsOf(lead), stageFields(lead, stage)) : []),
    ...cohortChanges(before, lead, stage, first),
  ];
};

const readLead = (view: DocView, leadId: string): FunnelLead | undefined => {
  const doc = view.get(FUNNEL_LEADS, leadId);
  if (!doc) return undefined;
  const { _pos, ...lead } = doc;
  return lead as unknown as FunnelLead;
};

const leadIdsOf = (e: ProjectionEvent): string[] =>
  e.type === 'DealWon' || e.type === 'DealLost'
    ? (e.data as DealWon).leadIds
    : [(e.data as { leadId: string }).leadId];

/** A report reads a cover's buckets, narrowed by campaign when it filters by campaign. */
const ROLLUP_INDEXES = [
  { fields: ['grain', 'bucket'] },
  { fields: ['campaignId', 'grain', 'bucket'] },
];

export const funnelProjection: Projection = {
  name: 'funnel',
  // 2: counts at day, month and year grains (rollup.ts).
  version: 2,
  collections: [
    { name: FUNNEL_FLOW, indexes: ROLLUP_INDEXES },
    { name: FUNNEL_COHORT, indexes: ROLLUP_INDEXES },
    { name: FUNNEL_LEADS, indexes: [] },
  ],
  handles: new Set(Object.keys(STAGE_OF_EVENT)),
  needs(e) {
    if (e.type === 'LeadCaptured') return [];
    return leadIdsOf(e).map((id) => ({ collection: FUNNEL_LEADS, id }));
  },
  project(e: ProjectionEvent, view: DocView) {
    const stage = STAGE_OF_EVENT[e.type];
    if (!stage) return [];
    const at = e.occurredAt;
    if (e.type === 'LeadCaptured') {
      const d = e.data as LeadCaptured;
      const lead: FunnelLead = {
        _id: d.leadId,
        captureDay: dayOf(at),
        segment: d.segment,
        channel: d.channel,
        campaignId: d.campaignId,
        team: null,
        reached: {},
        latest: {},
        seconds: {},
      };
      return projectEntry(undefined, lead, stage, at);
    }
    return leadIdsOf(e).flatMap((leadId) => {
      const before = readLead(view, leadId);
      if (!before) return [];
      const changed =
        e.type === 'LeadHandedOff' ? { ...before, team: (e.data as LeadHandedOff).team } : before;
      return projectEntry(before, changed, stage, at);
    });
  },
};
