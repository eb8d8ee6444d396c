import type { DealAmountChanged, DealOpened, DealWon } from '../../domain/deal/events';
import type { LeadCaptured, TouchRecorded } from '../../domain/lead/events';
import type { DocChange, Value } from '../../readstore/port';
import { dayOf } from '../calendar';
import type { DocRef, DocView, Projection, ProjectionEvent } from '../projection';
import {
  ATTRIBUTION_MODELS,
  computeAllCredits,
  type AttributionModel,
  type Conversion,
  type CreditTouch,
} from './models';

/**
 * `attribution`: what each deal's conversions credit to campaigns and channels under every model
 * (models.ts), kept bitemporally.
 *
 * Every change of credit is a delta (`attribution_deltas`): one row per event x kind x effective
 * day x campaign x channel x currency, with the event's `recordedAt` and `position`. The effective
 * day is the conversion's business day (the opening for pipeline, the win for revenue); a
 * reversal keeps the day of the credit it reverses. A report as of an instant sums the deltas
 * recorded by then. The same deltas are added into current-state aggregates: per day x campaign
 * x channel x currency (`attribution_daily`), and per block of days (runs of 2..16 days within a
 * month, months, quarters, years) x campaign (or x channel) x currency (`attribution_rollups`),
 * so a report over a year sums the documents of 1 to 15 blocks instead of 365 days'.
 *
 * Measures, per model, are integers: credit in cents, and the deal's share in micro-deals (the
 * credits of the same deal for an amount of 1,000,000 cents, so a deal's shares sum exactly to
 * 1e6 with models.ts's rounding). Revenue and deals come from wins, pipeline and opportunities
 * from openings (fields named by `measureField`).
 *
 * What later events need lives in `attribution_leads` (per lead its touches, and its source from
 * LeadCaptured, which is not a touch) and `attribution_deals` (per deal the touches each credit
 * was computed over, and the credits currently granted per model, so they reverse exactly):
 * - DealOpened: pipeline credit over the leads' touches at or before the opening.
 * - DealAmountChanged: the pipeline credit re-split at the new amount over the same touches.
 * - DealWon: revenue credit over the leads' touches up to the win (touches recorded after the
 *   opening count); DealReopened reverses it, DealLost leaves no revenue. Pipeline stays.
 * A touch recorded after a conversion was credited does not change that credit (what was
 * reported stays; a later win reads the touches afresh). Nothing personal is stored, so
 * LeadForgotten changes nothing here and credits stay.
 */

export const ATTRIBUTION_LEADS = 'attribution_leads';
export const ATTRIBUTION_DEALS = 'attribution_deals';
export const ATTRIBUTION_DELTAS = 'attribution_deltas';
export const ATTRIBUTION_DAILY = 'attribution_daily';
export const ATTRIBUTION_ROLLUPS = 'attribution_rollups';

/** A deal's whole share of a conversion, in micro-deals. */
export const MICRO_PER_DEAL = 1_000_000;
/** The newest touches kept per lead (a push cap; older ones would no longer count). */
export const MAX_TOUCHES_PER_LEAD = 10_000;

export type CreditKind = 'PIPELINE' | 'REVENUE';
export type AttributionDimension = 'CAMPAIGN' | 'CHANNEL';
/** Whether a delta was recorded after its effective day, on it, or (clock skew) before it. */
export type DeltaSkew = 'LATE' | 'SAME_DAY' | 'EARLY';

export type ByModel = Partial<Record<AttributionModel, number>>;

/**
 * The integer measures of aggregates and deltas: `revenue` and `pipeline` in cents, `deals`
 * (won) and `opportunities` (opened) in micro-deals. Each measure and model is one short
 * top-level field (`rLIN`: revenue under LINEAR): flat, so an `inc` copies no nested object,
 * and short, as a report reads thousands of documents and their size is most of its cost.
 */
export type Measure = 'revenue' | 'pipeline' | 'deals' | 'opportunities';

const MEASURE_CODES = { revenue: 'r', pipeline: 'p', deals: 'd', opportunities: 'o' } as const;
const MODEL_CODES = {
  FIRST_TOUCH: 'FT',
  LAST_TOUCH: 'LT',
  LEAD_CREATION: 'LC',
  LINEAR: 'LIN',
  U_SHAPED: 'U',
  W_SHAPED: 'W',
  FULL_PATH: 'FP',
  TIME_DECAY: 'TD',
} as const satisfies Record<AttributionModel, string>;

export type MeasureField =
  `${(typeof MEASURE_CODES)[Measure]}${(typeof MODEL_CODES)[AttributionModel]}`;
export const measureField = (measure: Measure, model: AttributionModel): MeasureField =>
  `${MEASURE_CODES[measure]}${MODEL_CODES[model]}`;

/** Which measures a conversion's credit moves: cents, then micro-deals. */
export const MEASURES = {
  PIPELINE: { cents: 'pipeline', micro: 'opportunities' },
  REVENUE: { cents: 'revenue', micro: 'deals' },
} as const satisfies Record<string, { cents: Measure; micro: Measure }>;

export type Measures = Partial<Record<MeasureField, number>>;

/** The campaign x channel a credit goes to; both null with `unattributed` for a touchless deal. */
export type CreditKey = {
  campaignId: string | null;
  channel: string | null;
  unattributed: boolean;
};

export type LeadTouch = Omit<CreditTouch, 'leadId'>;

export type AttributionLeadDoc = {
  _id: string;
  /** The lead's source (LeadCaptured), for reporting: not a touch. */
  source?: { channel: string; campaignId: string | null; capturedAt: string };
  /** In log order, the newest MAX_TOUCHES_PER_LEAD. */
  touches?: LeadTouch[];
};

/** Credits granted to one campaign x channel, per model (models that gave it nothing left out). */
export type GrantLine = CreditKey & { cents: ByModel; micro: ByModel };

/** The credit of one conversion currently counted, on its effective day. */
export type Grant = { day: string; currency: string; lines: GrantLine[] };

export type AttributionDealDoc = {
  _id: string;
  dealId: string;
  leadIds: string[];
  currency: string;
  status: 'OPEN' | 'WON' | 'LOST';
  openedAt: string;
  /** The current amount: what pipeline credit splits. */
  amount: number;
  wonAt: string | null;
  wonAmount: number | null;
  /** The touches at or before the opening, as of the opening: pipeline's path. */
  pipelineTouches: CreditTouch[];
  /** The touches up to the win, as of the win; null unless won. */
  revenueTouches: CreditTouch[] | null;
  pipeline: Grant | null;
  revenue: Grant | null;
};

export type AttributionDeltaDoc = CreditKey &
  Measures & {
    _id: string;
    dealId: string;
    kind: CreditKind;
    /** Effective (business) day. */
    day: string;
    recordedAt: string;
    position: string;
    skew: DeltaSkew;
    currency: string;
  };

export type AttributionDailyDoc = CreditKey &
  Measures & { _id: string; day: string; currency: string };

export type AttributionRollupDoc = Measures & {
  _id: string;
  dim: AttributionDimension;
  /** `<kind>:<first day>` (`M:2026-06-01`): what queries select. */
  block: string;
  /** The campaign id (null: touches without one) or the channel; null when unattributed. */
  key: string | null;
  unattributed: boolean;
  currency: string;
};

// ---- days and blocks

/**
 * Rollup blocks: aligned runs of 2, 4, 8 and 16 days counted from the 1st of a month (the last
 * run cut at the month's end), the month, its quarter and its year. A calendar month, quarter
 * or year is one block; a range of up to a year at most 15 (single days from the daily
 * documents included), about 10 for a rolling year.
 */
export const BLOCK_KINDS = ['D2', 'D4', 'D8', 'D16', 'M', 'Q', 'Y'] as const;
export type BlockKind = (typeof BLOCK_KINDS)[number];

/** A block of days, `start` to `end` inclusive; `D1` is a single day (the daily documents). */
export interface DayBlock {
  kind: BlockKind | 'D1';
  start: string;
  end: string;
}

const RUN_DAYS: Record<string, number> = { D2: 2, D4: 4, D8: 8, D16: 16 };

const dayAt = (y: number, m: number, d: number): string =>
  new Date(Date.UTC(y, m - 1, d)).toISOString().slice(0, 10);

const partsOf = (day: string): [number, number, number] => [
  Number(day.slice(0, 4)),
  Number(day.slice(5, 7)),
  Number(day.slice(8, 10)),
];

export const nextDay = (day: string): string => {
  const [y, m, d] = partsOf(day);
  return dayAt(y, m, d + 1);
};

export const previousDay = (day: string): string => {
  const [y, m, d] = partsOf(day);
  return dayAt(y, m, d - 1);
};

/** The block of `kind` that holds `day`. */
export const blockOf = (day: string, kind: BlockKind): DayBlock => {
  const [y, m, d] = partsOf(day);
  switch (kind) {
    case 'Y':
      return { kind, start: dayAt(y, 1, 1), end: dayAt(y, 12, 31) };
    case 'Q': {
      const first = 3 * Math.floor((m - 1) / 3) + 1;
      return { kind, start: dayAt(y, first, 1), end: dayAt(y, first + 3, 0) };
    }
    case 'M':
      return { kind, start: dayAt(y, m, 1), end: dayAt(y, m + 1, 0) };
    default: {
      const size = RUN_DAYS[kind]!;
      const first = Math.floor((d - 1) / size) * size + 1;
      const monthEnd = dayAt(y, m + 1, 0);
      const end = dayAt(y, m, first + size - 1);
      return { kind, start: dayAt(y, m, first), end: end < monthEnd ? end : monthEnd };
    }
  }
};

export const blockId = (b: DayBlock): string => `${b.kind}:${b.start}`;

/** Largest first: the greedy tiling takes the largest block that starts at the next day. */
const BY_SIZE: readonly BlockKind[] = [...BLOCK_KINDS].reverse();

/** The blocks that tile the days [first, last] (inclusive), greedy from the left. */
export const blocksCovering = (first: string, last: string): DayBlock[] => {
  const blocks: DayBlock[] = [];
  for (let x = first; x <= last;) {
    let block: DayBlock = { kind: 'D1', start: x, end: x };
    for (const kind of BY_SIZE) {
      const candidate = blockOf(x, kind);
      if (candidate.start === x && candidate.end <= last) {
        block = candidate;
        break;
      }
    }
    blocks.push(block);
    x = nextDay(block.end);
  }
  return blocks;
};

const DIMENSIONS: readonly AttributionDimension[] = ['CAMPAIGN', 'CHANNEL'];

/** The ids of the rollup blocks holding a day; memoised, as days recur. */
const dayBlocks = new Map<string, string[]>();
const blocksOfDay = (day: string): string[] => {
  let blocks = dayBlocks.get(day);
  if (!blocks) {
    blocks = BLOCK_KINDS.map((kind) => blockId(blockOf(day, kind)));
    if (dayBlocks.size >= 20_000) dayBlocks.clear();
    dayBlocks.set(day, blocks);
  }
  return blocks;
};

// ---- document ids (JSON arrays: campaign ids, channels and positions join unambiguously)

export const dailyDocId = (day: string, currency: string, k: CreditKey): string =>
  JSON.stringify([day, currency, k.campaignId, k.channel, k.unattributed]);

/** As JSON.stringify of the array (dim, block and currency need no escaping), but cheaper. */
export const rollupDocId = (
  dim: AttributionDimension,
  block: string,
  currency: string,
  key: string | null,
  unattributed: boolean,
): string => `["${dim}","${block}","${currency}",${JSON.stringify(key)},${unattributed}]`;

export const deltaDocId = (
  position: string,
  kind: CreditKind,
  day: string,
  currency: string,
  k: CreditKey,
): string => JSON.stringify([position, kind, day, currency, k.campaignId, k.channel]);

// ---- credits

const compareNullable = (a: string | null, b: string | null): number =>
  a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1;

const keyOfTouch = (t: CreditTouch | null): CreditKey =>
  t
    ? { campaignId: t.campaignId, channel: t.channel, unattributed: false }
    : { campaignId: null, channel: null, unattributed: true };

const lineId = (k: CreditKey): string => JSON.stringify([k.campaignId, k.channel]);

/** The credit of one conversion per campaign x channel, per model, in cents and micro-deals. */
export const grantOf = (
  touches: readonly CreditTouch[],
  conversion: Conversion,
  currency: string,
): Grant => {
  const credits = computeAllCredits(touches, conversion);
  // The same path and weights for a deal of 1e6 cents: its cents are the micro-deals.
  const shares = computeAllCredits(touches, { ...conversion, amount: MICRO_PER_DEAL / 100 });
  const lines = new Map<string, GrantLine>();
  for (const model of ATTRIBUTION_MODELS) {
    const micro = shares[model];
    credits[model].forEach((credit, i) => {
      const key = keyOfTouch(credit.touch);
      const id = lineId(key);
      let line = lines.get(id);
      if (!line) {
        line = { ...key, cents: {}, micro: {} };
        lines.set(id, line);
      }
      const [cents, share] = [credit.cents, micro[i]!.cents];
      if (cents) line.cents[model] = (line.cents[model] ?? 0) + cents;
      if (share) line.micro[model] = (line.micro[model] ?? 0) + share;
    });
  }
  const day = dayOf(conversion.kind === 'PIPELINE' ? conversion.openedAt : conversion.wonAt);
  return {
    day,
    currency,
    lines: [...lines.values()].sort(
      (a, b) =>
        Number(b.unattributed) - Number(a.unattributed) ||
        compareNullable(a.campaignId, b.campaignId) ||
        compareNullable(a.channel, b.channel),
    ),
  };
};

/** A net change of credit on one effective day, one currency and one campaign x channel. */
interface Change extends CreditKey {
  day: string;
  currency: string;
  cents: ByModel;
  micro: ByModel;
}

const addGrant = (changes: Map<string, Change>, grant: Grant | null, sign: 1 | -1): void => {
  if (!grant) return;
  for (const line of grant.lines) {
    const id = JSON.stringify([grant.day, grant.currency, line.campaignId, line.channel]);
    let change = changes.get(id);
    if (!change) {
      const { campaignId, channel, unattributed } = line;
      const { day, currency } = grant;
      change = { day, currency, campaignId, channel, unattributed, cents: {}, micro: {} };
      changes.set(id, change);
    }
    for (const model of ATTRIBUTION_MODELS) {
      change.cents[model] = (change.cents[model] ?? 0) + sign * (line.cents[model] ?? 0);
      change.micro[model] = (change.micro[model] ?? 0) + sign * (line.micro[model] ?? 0);
    }
  }
};

const fieldsOf = (measure: Measure, values: ByModel): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const model of ATTRIBUTION_MODELS) {
    if (values[model]) out[measureField(measure, model)] = values[model];
  }
  return out;
};

const addInto = (target: Record<string, number>, values: Record<string, number>): void => {
  for (const f in values) target[f] = (target[f] ?? 0) + values[f]!;
};

/**
 * Every document change that moves the credit of `kind` from `before` to `after`: the deltas
 * with the event's recorded time and position, and the same amounts into the daily documents
 * and the rollups. Nothing when they are equal.
 */
const creditChanges = (
  e: ProjectionEvent,
  dealId: string,
  kind: CreditKind,
  before: Grant | null,
  after: Grant | null,
): DocChange[] => {
  const nets = new Map<string, Change>();
  addGrant(nets, before, -1);
  addGrant(nets, after, 1);
  const recordedAt = new Date(e.recordedAt).toISOString();
  const recordedDay = dayOf(recordedAt);
  const names = MEASURES[kind];
  const out: DocChange[] = [];
  const rollups = new Map<string, { insert: Record<string, Value>; inc: Record<string, number> }>();
  const sorted = [...nets.values()].sort(
    (a, b) =>
      compareNullable(a.day, b.day) ||
      compareNullable(a.currency, b.currency) ||
      Number(b.unattributed) - Number(a.unattributed) ||
      compareNullable(a.campaignId, b.campaignId) ||
      compareNullable(a.channel, b.channel),
  );
  for (const net of sorted) {
    const inc = { ...fieldsOf(names.cents, net.cents), ...fieldsOf(names.micro, net.micro) };
    if (Object.keys(inc).length === 0) continue;
    const { day, currency, campaignId, channel, unattributed } = net;
    const key: CreditKey = { campaignId, channel, unattributed };
    const skew: DeltaSkew = recordedDay > day ? 'LATE' : recordedDay < day ? 'EARLY' : 'SAME_DAY';
    out.push({
      collection: ATTRIBUTION_DELTAS,
      id: deltaDocId(e.position, kind, day, currency, key),
      op: {
        kind: 'set',
        fields: {
          dealId,
          kind,
          day,
          recordedAt,
          position: e.position,
          skew,
          currency,
          ...key,
          ...inc,
        },
      },
    });
    const dailyId = dailyDocId(day, currency, key);
    out.push(
      {
        collection: ATTRIBUTION_DAILY,
        id: dailyId,
        op: { kind: 'setOnInsert', fields: { day, currency, ...key } },
      },
      { collection: ATTRIBUTION_DAILY, id: dailyId, op: { kind: 'inc', fields: inc } },
    );
    for (const block of blocksOfDay(day)) {
      for (const dim of DIMENSIONS) {
        const dimKey = dim === 'CAMPAIGN' ? campaignId : channel;
        const id = rollupDocId(dim, block, currency, dimKey, unattributed);
        let rollup = rollups.get(id);
        if (!rollup) {
          const insert = { dim, block, key: dimKey, unattributed, currency };
          rollup = { insert, inc: {} };
          rollups.set(id, rollup);
        }
        addInto(rollup.inc, inc);
      }
    }
  }
  for (const [id, { insert, inc }] of rollups) {
    const fields = Object.fromEntries(Object.entries(inc).filter(([, v]) => v !== 0));
    if (Object.keys(fields).length === 0) continue;
    out.push(
      { collection: ATTRIBUTION_ROLLUPS, id, op: { kind: 'setOnInsert', fields: insert } },
      { collection: ATTRIBUTION_ROLLUPS, id, op: { kind: 'inc', fields } },
    );
  }
  return out;
};

// ---- documents read through `needs`

const readDeal = (view: DocView, dealId: string): AttributionDealDoc | undefined => {
  const doc = view.get(ATTRIBUTION_DEALS, dealId);
  if (!doc) return undefined;
  const { _pos, ...deal } = doc;
  return deal as unknown as AttributionDealDoc;
};

/** The touches of the deal's leads at or before `until`, each once, in a stable order. */
const touchesOf = (view: DocView, leadIds: readonly string[], until: string): CreditTouch[] => {
  const limit = Date.parse(until);
  const seen = new Set<string>();
  const out: CreditTouch[] = [];
  for (const leadId of [...new Set(leadIds)].sort()) {
    const lead = view.get(ATTRIBUTION_LEADS, leadId) as AttributionLeadDoc | undefined;
    for (const t of lead?.touches ?? []) {
      const id = JSON.stringify([leadId, t.touchId]);
      if (seen.has(id) || Date.parse(t.at) > limit) continue;
      seen.add(id);
      out.push({
        touchId: t.touchId,
        leadId,
        at: t.at,
        channel: t.channel,
        campaignId: t.campaignId,
        createsLead: t.createsLead,
      });
    }
  }
  return out;
};

const setDeal = (deal: AttributionDealDoc): DocChange => {
  const { _id, ...fields } = deal;
  return {
    collection: ATTRIBUTION_DEALS,
    id: _id,
    op: { kind: 'set', fields: fields as unknown as Record<string, Value> },
  };
};

// ---- events

const DEAL_EVENT_TYPES = [
  'DealOpened',
  'DealAmountChanged',
  'DealWon',
  'DealLost',
  'DealReopened',
] as const;

const projectDealOpened = (
  e: ProjectionEvent,
  view: DocView,
  d: DealOpened,
  known: AttributionDealDoc | undefined,
): DocChange[] => {
  const openedAt = e.occurredAt;
  const touches = touchesOf(view, d.leadIds, openedAt);
  const pipeline = grantOf(touches, { kind: 'PIPELINE', openedAt, amount: d.amount }, d.currency);
  const deal: AttributionDealDoc = {
    _id: d.dealId,
    dealId: d.dealId,
    leadIds: d.leadIds,
    currency: d.currency,
    status: 'OPEN',
    openedAt,
    amount: d.amount,
    wonAt: null,
    wonAmount: null,
    pipelineTouches: touches,
    revenueTouches: null,
    pipeline,
    revenue: null,
  };
  return [
    setDeal(deal),
    ...creditChanges(e, d.dealId, 'PIPELINE', known?.pipeline ?? null, pipeline),
    ...creditChanges(e, d.dealId, 'REVENUE', known?.revenue ?? null, null),
  ];
};

const projectDealWon = (
  e: ProjectionEvent,
  view: DocView,
  d: DealWon,
  known: AttributionDealDoc | undefined,
): DocChange[] => {
  const wonAt = e.occurredAt;
  // A win with no opening seen is credited as if the deal opened when it was won.
  const openedAt = known?.openedAt ?? wonAt;
  const touches = touchesOf(view, d.leadIds, wonAt);
  const conversion: Conversion = { kind: 'REVENUE', openedAt, wonAt, amount: d.amount };
  const revenue = grantOf(touches, conversion, d.currency);
  const deal: AttributionDealDoc = {
    _id: d.dealId,
    dealId: d.dealId,
    currency: d.currency,
    openedAt,
    amount: d.amount,
    pipelineTouches: [],
    pipeline: null,
    ...known,
    leadIds: d.leadIds,
    status: 'WON',
    wonAt,
    wonAmount: d.amount,
    revenueTouches: touches,
    revenue,
  };
  return [setDeal(deal), ...creditChanges(e, d.dealId, 'REVENUE', known?.revenue ?? null, revenue)];
};

const projectKnownDeal = (e: ProjectionEvent, deal: AttributionDealDoc): DocChange[] => {
  switch (e.type) {
    case 'DealAmountChanged': {
      const { toAmount } = e.data as DealAmountChanged;
      // A deal whose opening was never seen has no pipeline credit to re-split.
      if (!deal.pipeline) return [setDeal({ ...deal, amount: toAmount })];
      const conversion: Conversion = {
        kind: 'PIPELINE',
        openedAt: deal.openedAt,
        amount: toAmount,
      };
      const pipeline = grantOf(deal.pipelineTouches, conversion, deal.currency);
      return [
        setDeal({ ...deal, amount: toAmount, pipeline }),
        ...creditChanges(e, deal.dealId, 'PIPELINE', deal.pipeline, pipeline),
      ];
    }
    case 'DealLost':
    case 'DealReopened': {
      const status = e.type === 'DealLost' ? 'LOST' : 'OPEN';
      // A win reopened (or, defensively, lost) no longer counts: reversed on the win's day.
      return [
        setDeal({
          ...deal,
          status,
          wonAt: null,
          wonAmount: null,
          revenueTouches: null,
          revenue: null,
        }),
        ...creditChanges(e, deal.dealId, 'REVENUE', deal.revenue, null),
      ];
    }
    default:
      return [];
  }
};

export const attributionProjection: Projection = {
  name: 'attribution',
  version: 1,
  collections: [
    { name: ATTRIBUTION_LEADS, indexes: [] },
    { name: ATTRIBUTION_DEALS, indexes: [] },
    {
      name: ATTRIBUTION_DELTAS,
      indexes: [
        // As-of: the late deltas of a range, then those of the as-of day and early ones.
        { fields: ['skew', 'day', 'recordedAt'] },
        { fields: ['day', 'recordedAt'] },
      ],
    },
    { name: ATTRIBUTION_DAILY, indexes: [{ fields: ['day'] }] },
    { name: ATTRIBUTION_ROLLUPS, indexes: [{ fields: ['dim', 'block'] }] },
  ],
  handles: new Set(['LeadCaptured', 'TouchRecorded', ...DEAL_EVENT_TYPES]),
  writeAhead: [ATTRIBUTION_DELTAS],
  needs(e): DocRef[] {
    if (!(DEAL_EVENT_TYPES as readonly string[]).includes(e.type)) return [];
    const { dealId, leadIds } = e.data as { dealId: string; leadIds?: string[] };
    return [
      { collection: ATTRIBUTION_DEALS, id: dealId },
      ...(leadIds ?? []).map((id) => ({ collection: ATTRIBUTION_LEADS, id })),
    ];
  },
  project(e, view) {
    switch (e.type) {
      case 'LeadCaptured': {
        const d = e.data as LeadCaptured;
        const source = { channel: d.channel, campaignId: d.campaignId, capturedAt: e.occurredAt };
        return [
          { collection: ATTRIBUTION_LEADS, id: d.leadId, op: { kind: 'set', fields: { source } } },
        ];
      }
      case 'TouchRecorded': {
        const d = e.data as TouchRecorded;
        const touch: LeadTouch = {
          touchId: d.touchId,
          at: e.occurredAt,
          channel: d.channel,
          campaignId: d.campaignId,
          createsLead: d.createsLead,
        };
        return [
          {
            collection: ATTRIBUTION_LEADS,
            id: d.leadId,
            op: { kind: 'push', field: 'touches', values: [touch], cap: MAX_TOUCHES_PER_LEAD },
          },
        ];
      }
      case 'DealOpened': {
        const d = e.data as DealOpened;
        return projectDealOpened(e, view, d, readDeal(view, d.dealId));
      }
      case 'DealWon': {
        const d = e.data as DealWon;
        return projectDealWon(e, view, d, readDeal(view, d.dealId));
      }
      default: {
        const deal = readDeal(view, (e.data as { dealId: string }).dealId);
        return deal ? projectKnownDeal(e, deal) : [];
      }
    }
  },
};
