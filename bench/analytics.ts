/**
 * The analytics read models on the embedded SQLite store: latency of the `attribution`,
 * `attributionComparison` and `campaignPerformance` query functions (called on the runner's
 * ReadModelAccess, as the GraphQL resolvers do), the attribution projection's rebuild rate,
 * and same-run baselines for both: the log read with no projection (`EventStore.readAll`), and
 * raw better-sqlite3 `SELECT SUM(...) GROUP BY` over the same data copied into plain indexed
 * tables: the raw credits (`attribution_deltas`: no pre-aggregation), and the very rollup and
 * daily rows the query functions read (their overhead: JSON documents, the port, the code).
 *
 * Data: a year (2025) of 100k leads, 20k deals, 500k touches and 200 campaigns (`BENCH_QUICK=1`:
 * 5k / 1k / 25k / 20), written once through the CommandHandler (never into the stores) by this
 * file's own deterministic generator, and cached under bench/.cache/. The demo generator is not
 * used: its mix is fixed by its world (27 campaigns, ~11 deals per 100 leads), which cannot
 * reach 200 campaigns and 20k deals per 100k leads.
 *
 * Each measurement runs in its own process (a fork of this file): the log read, a rebuild of
 * `attribution` alone into a fresh read store, a rebuild of every projection into another, then
 * the queries over the latter. `BENCH_CHILD_ARGS` adds node flags to them (e.g. --cpu-prof),
 * `BENCH_DIR` puts the working files elsewhere, `BENCH_SEED` changes the data. Not a test:
 * figures go to stdout and bench/results/analytics.json.
 */
import { fork } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { hashTag, Random } from '../src/demo/random';
import { iso, Timeline, type DemoCommand, type TimedCommand } from '../src/demo/timeline';
import type { Actor, Channel, Segment } from '../src/domain/shared/values';
import { SqliteEventStore } from '../src/eventstore/sqlite';
import { uuidV5 } from '../src/eventstore/uuid';
import { ATTRIBUTION_MODELS, type AttributionModel } from '../src/projections/attribution/models';
import {
  ATTRIBUTION_DAILY,
  ATTRIBUTION_DEALS,
  ATTRIBUTION_DELTAS,
  ATTRIBUTION_LEADS,
  ATTRIBUTION_ROLLUPS,
  attributionProjection,
  blockId,
  blocksCovering,
  measureField,
  type Measure,
} from '../src/projections/attribution/projection';
import {
  attribution,
  attributionComparison,
  type AttributionRangeArgs,
  type AttributionRow,
} from '../src/projections/attribution/queries';
import { CAMPAIGN_COSTS, CAMPAIGN_STATS } from '../src/projections/campaigns/projection';
import { campaignPerformance } from '../src/projections/campaigns/queries';
import { daysCovering } from '../src/projections/calendar';
import { PROJECTIONS } from '../src/projections/catalog';
import type { Projection, ReadModelAccess } from '../src/projections/projection';
import { ProjectionRunner } from '../src/projections/runner';
import type { ReadStore } from '../src/readstore/port';
import { SqliteReadStore } from '../src/readstore/sqlite';
import { cachedLog } from './cached-log';
import { formatTable, machine, runBench, writeJson, type Cell } from './report';

const QUICK = process.env.BENCH_QUICK === '1';
const SEED = process.env.BENCH_SEED ?? 'bench-1';
/** Bump when the generator's output changes for the same sizes and seed (the cache keys on it). */
const GENERATOR_VERSION = 1;
const SIZES = QUICK
  ? { leads: 5_000, deals: 1_000, touches: 25_000, campaigns: 20 }
  : { leads: 100_000, deals: 20_000, touches: 500_000, campaigns: 200 };
/** Measured calls per query workload (after WARM_UP discarded ones), and per raw-SQL baseline. */
const RUNS = QUICK
  ? { queries: 100, raw: 40, warmUp: 10, logReads: 2 }
  : { queries: 400, raw: 60, warmUp: 20, logReads: 2 };
const TARGET_P99_MS = 20;
const ROOT = resolve(__dirname, '../..');
const RESULTS_FILE = join(ROOT, 'bench/results/analytics.json');

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const YEAR_START = Date.parse('2025-01-01T00:00:00.000Z');
const YEAR_END = Date.parse('2026-01-01T00:00:00.000Z');
const CALENDAR_YEAR = { from: iso(YEAR_START), to: iso(YEAR_END) };

// ---- the generator: a year of commands with the benchmark's mix ----------------------------------

const NAMESPACE = 'c7a4e0b2-3f5d-4e8a-9b61-2d0f8c3a7e15';
const MARKETING: Actor = { id: 'marketing-automation', roles: ['MARKETING'] };
const REPS: readonly Actor[] = Array.from({ length: 24 }, (_, i) => ({
  id: `rep-${String(i + 1).padStart(2, '0')}`,
  roles: ['SALES'],
}));
const CAMPAIGN_CHANNELS: ReadonlyArray<readonly [Channel, number]> = [
  ['PAID_SEARCH', 0.22],
  ['PAID_SOCIAL', 0.18],
  ['EMAIL', 0.14],
  ['CONTENT', 0.12],
  ['WEBINAR', 0.12],
  ['EVENT', 0.08],
  ['PARTNER', 0.07],
  ['OUTBOUND', 0.07],
];
const ORGANIC_CHANNELS: ReadonlyArray<readonly [Channel, number]> = [
  ['ORGANIC_SEARCH', 0.4],
  ['DIRECT', 0.25],
  ['REFERRAL', 0.15],
  ['ORGANIC_SOCIAL', 0.1],
  ['CHAT', 0.1],
];
const SEGMENTS: ReadonlyArray<readonly [Segment, number]> = [
  ['SMB', 0.55],
  ['MID_MARKET', 0.3],
  ['ENTERPRISE', 0.15],
];
const DEAL_MEDIAN: Record<Segment, number> = {
  SMB: 12_000,
  MID_MARKET: 45_000,
  ENTERPRISE: 160_000,
};
const LOST_REASONS = [
  ['NO_DECISION', 0.3],
  ['COMPETITOR', 0.25],
  ['PRICE', 0.2],
  ['TIMING', 0.15],
  ['MISSING_FEATURE', 0.1],
] as const;
const STAGES = ['DISCOVERY', 'DEMO', 'PROPOSAL', 'NEGOTIATION'] as const;
/** Share of touches that name a campaign running at the time (the rest are organic). */
const CAMPAIGN_TOUCH_SHARE = 0.72;
/** Deals whose account brought a second lead (both converted into the deal). */
const TWO_LEAD_DEAL_SHARE = 0.1;
/** Extra touches (beyond the one that created the lead) per lead of a deal, on average. */
const DEAL_LEAD_EXTRA_TOUCHES = 8;
/** Leads without a deal that still become MQLs and meet sales (campaign funnel counts). */
const OTHER_MQL_SHARE = 0.2;

interface BenchCampaign {
  id: string;
  name: string;
  channel: Channel;
  fromMs: number;
  toMs: number;
  weight: number;
  monthlyBudget: number;
}

interface AccountPlan {
  index: number;
  captureMs: number;
  /** Leads of the account; 0 leads of a deal means the account has no deal. */
  leads: number;
  deal: boolean;
}

interface Mix {
  campaigns: BenchCampaign[];
  /** Active campaigns (index, weight) per day of the year. */
  activeByDay: Array<Array<readonly [number, number]>>;
  accounts: AccountPlan[];
  dealLeadExtra: number;
  otherLeadExtra: number;
}

const clamp = (x: number, min: number, max: number) => Math.min(max, Math.max(min, x));
const dateOf = (ms: number) => iso(ms).slice(0, 10);

const planMix = (seed: string): Mix => {
  const rng = new Random(seed, 'analytics-plan');
  const campaigns: BenchCampaign[] = [];
  for (let i = 0; i < SIZES.campaigns; i += 1) {
    const channel = rng.weighted(CAMPAIGN_CHANNELS);
    const short = channel === 'WEBINAR' || channel === 'EVENT';
    const alwaysOn = !short && rng.chance(0.4);
    const days = alwaysOn ? 365 : short ? rng.int(14, 45) : rng.int(30, 150);
    const fromMs = alwaysOn ? YEAR_START : YEAR_START + rng.int(0, 365 - days) * DAY;
    campaigns.push({
      id: uuidV5(NAMESPACE, `${seed}\u0000campaign:${i}`),
      name: `${channel.toLowerCase().replace('_', ' ')} campaign ${i + 1}`,
      channel,
      fromMs,
      toMs: fromMs + days * DAY,
      weight: (alwaysOn ? 3 : 1) * rng.logNormal(1, 0.8),
      monthlyBudget: Math.round(rng.logNormal(alwaysOn ? 8_000 : 4_000, 0.6)),
    });
  }
  const activeByDay = Array.from({ length: 365 }, (_, d) => {
    const ms = YEAR_START + d * DAY + 12 * HOUR;
    return campaigns.flatMap((c, i) =>
      c.fromMs <= ms && ms < c.toMs ? [[i, c.weight] as const] : [],
    );
  });

  const twoLeadDeals = Math.round(SIZES.deals * TWO_LEAD_DEAL_SHARE);
  const dealLeads = SIZES.deals + twoLeadDeals;
  const otherLeads = SIZES.leads - dealLeads;
  const otherLeadExtra =
    (SIZES.touches - SIZES.leads - dealLeads * DEAL_LEAD_EXTRA_TOUCHES) / otherLeads;
  if (otherLeads <= 0 || otherLeadExtra < 0) {
    throw new RangeError(`the sizes cannot be met: ${JSON.stringify(SIZES)}`);
  }
  const accounts: AccountPlan[] = [];
  for (let i = 0; i < SIZES.deals + otherLeads; i += 1) {
    const deal = i < SIZES.deals;
    // Deals need time to qualify, open and close: their accounts arrive by late October.
    const day = deal ? rng.between(0, 300) : rng.between(0, 364.5);
    accounts.push({
      index: i,
      captureMs: Math.round(YEAR_START + 2 * HOUR + day * DAY),
      leads: deal && i < twoLeadDeals ? 2 : 1,
      deal,
    });
  }
  accounts.sort((a, b) => a.captureMs - b.captureMs || a.index - b.index);
  return {
    campaigns,
    activeByDay,
    accounts,
    dealLeadExtra: DEAL_LEAD_EXTRA_TOUCHES,
    otherLeadExtra,
  };
};

/** Campaign registrations first, then each month's cost shortly after the month ends. */
const calendarCommands = (seed: string, mix: Mix): TimedCommand[] => {
  const t = new Timeline(`bench-analytics:${hashTag(seed)}:calendar`, YEAR_START);
  mix.campaigns.forEach((c, i) => {
    const { id: campaignId, name, channel } = c;
    t.insert(YEAR_START + i * 1000, MARKETING, 'registerCampaign', { campaignId, name, channel });
    for (let m = 0; m < 12; m += 1) {
      const monthStart = Date.UTC(2025, m, 1);
      const monthEnd = Date.UTC(2025, m + 1, 1);
      const from = Math.max(monthStart, c.fromMs);
      const to = Math.min(monthEnd, c.toMs);
      if (to <= from) continue;
      const amount = Math.max(
        1,
        Math.round((c.monthlyBudget * (to - from)) / (monthEnd - monthStart)),
      );
      t.insert(
        Math.min(monthEnd + DAY + 9 * HOUR, YEAR_END - HOUR),
        MARKETING,
        'recordCampaignCost',
        {
          campaignId,
          amount,
          currency: 'USD',
          periodStart: dateOf(from),
          periodEnd: dateOf(to - 1),
        },
      );
    }
  });
  return t.until(YEAR_END);
};

/** A count with the given mean: uniform on [0, 2 floor(mean)], plus one with the remainder. */
const countAround = (rng: Random, mean: number): number => {
  const base = Math.floor(mean);
  return rng.int(0, 2 * base) + (rng.chance(mean - base) ? 1 : 0);
};

/** One account's commands: its leads and their touches, and its deal if it has one. */
const simulateAccount = (seed: string, mix: Mix, plan: AccountPlan): TimedCommand[] => {
  const rng = new Random(seed, 'analytics-account', plan.index);
  const t = new Timeline(`bench-analytics:${hashTag(seed)}:${plan.index}`, plan.captureMs);
  let ids = 0;
  const id = (purpose: string) =>
    uuidV5(NAMESPACE, `${seed}\u0000${plan.index}\u0000${purpose}:${(ids += 1)}`);
  const segment = rng.weighted(SEGMENTS);
  const company = `Account ${plan.index}`;
  const rep = rng.pick(REPS);
  const latest = YEAR_END - MINUTE;

  const source = (ms: number): { channel: Channel; campaignId: string | null } => {
    const active = mix.activeByDay[clamp(Math.floor((ms - YEAR_START) / DAY), 0, 364)]!;
    if (active.length > 0 && rng.chance(CAMPAIGN_TOUCH_SHARE)) {
      const campaign = mix.campaigns[rng.weighted(active)]!;
      return { channel: campaign.channel, campaignId: campaign.id };
    }
    return { channel: rng.weighted(ORGANIC_CHANNELS), campaignId: null };
  };
  const touch = (leadId: string, ms: number, createsLead = false) => {
    const { channel, campaignId } = source(ms);
    t.insert(Math.round(ms), MARKETING, 'recordTouch', {
      leadId,
      touchId: id('touch'),
      channel,
      campaignId,
      contentId: null,
      kind: 'MARKETING',
      createsLead,
    });
  };
  /** Captures a lead with the touch that created it; returns its id. */
  const capture = (ms: number, k: number): string => {
    const leadId = id('lead');
    const created = source(ms);
    t.insert(ms, MARKETING, 'captureLead', {
      leadId,
      email: `lead${plan.index}.${k}@account${plan.index}.example`,
      name: null,
      company,
      segment,
      channel: created.channel,
      campaignId: created.campaignId,
    });
    t.insert(ms + rng.int(1_000, 30_000), MARKETING, 'recordTouch', {
      leadId,
      touchId: id('touch'),
      ...created,
      contentId: null,
      kind: 'MARKETING',
      createsLead: true,
    });
    return leadId;
  };
  /** MQL at `ms`, then a handoff to the account's rep minutes later. */
  const qualifyAndHandOff = (leadId: string, ms: number) => {
    t.insert(ms, MARKETING, 'qualifyLead', { leadId, reason: 'Score over threshold' });
    const handoffId = id('handoff');
    const handedOff = ms + rng.int(5, 60) * MINUTE;
    t.insert(handedOff, MARKETING, 'handOffLead', {
      leadId,
      handoffId,
      repId: rep.id,
      team: null,
      agreementId: null,
    });
    return { handoffId, handedOff };
  };
  /** MQL, handoff to the account's rep, accepted; returns when it was accepted. */
  const toSal = (leadId: string, ms: number): number => {
    const { handoffId, handedOff } = qualifyAndHandOff(leadId, ms);
    const accepted = handedOff + Math.round(Math.max(1, rng.logNormal(60, 0.8)) * MINUTE);
    t.insert(accepted, rep, 'acceptHandoff', { leadId, handoffId });
    return accepted;
  };

  if (!plan.deal) {
    const leadId = capture(plan.captureMs, 0);
    const span = clamp(rng.logNormal(30, 1), 1, 200) * DAY;
    const until = Math.min(plan.captureMs + span, latest);
    let last = plan.captureMs + MINUTE;
    const n = countAround(rng, mix.otherLeadExtra);
    for (let i = 0; i < n; i += 1) {
      const ms = rng.between(plan.captureMs + MINUTE, until);
      last = Math.max(last, ms);
      touch(leadId, ms);
    }
    if (rng.chance(OTHER_MQL_SHARE)) {
      const mql = Math.round(last + rng.int(10, 240) * MINUTE);
      if (rng.chance(0.4)) {
        const { handoffId, handedOff } = qualifyAndHandOff(leadId, mql);
        t.insert(handedOff + rng.int(1, 8) * HOUR, rep, 'rejectHandoff', {
          leadId,
          handoffId,
          reason: rng.pick(['NOT_READY', 'NOT_ICP', 'BAD_DATA'] as const),
          note: null,
        });
      } else {
        const accepted = toSal(leadId, mql);
        t.insert(accepted + Math.round(rng.between(2, 10) * DAY), rep, 'recycleLead', {
          leadId,
          reason: 'No project this year',
        });
      }
    }
    return t.until(YEAR_END);
  }

  // A deal: its leads are captured, touched, qualified and converted; it closes or stays open.
  // Qualified at least 16 days before the year ends: the deal opens within the year.
  const room = Math.min(60, (YEAR_END - 16 * DAY - plan.captureMs) / DAY);
  const mql = plan.captureMs + Math.round(clamp(rng.logNormal(14, 0.8), 1, room) * DAY);
  const leads: Array<{ leadId: string; capturedAt: number; sql: number }> = [];
  for (let k = 0; k < plan.leads; k += 1) {
    const capturedAt =
      k === 0
        ? plan.captureMs
        : Math.round(plan.captureMs + rng.between(0.1, 0.8) * (mql - plan.captureMs));
    const leadId = capture(capturedAt, k);
    const accepted = toSal(leadId, mql + k * rng.int(1, 30) * MINUTE);
    const sql = accepted + Math.round(rng.between(1, 7) * DAY);
    t.insert(sql, rep, 'qualifyForSales', {
      leadId,
      budget: null,
      authority: null,
      need: null,
      timeline: null,
    });
    leads.push({ leadId, capturedAt, sql });
  }
  const openAt = Math.max(...leads.map((l) => l.sql)) + Math.round(rng.between(1, 5) * DAY);
  const cycle = clamp(rng.logNormal(45, 0.6), 7, 200) * DAY;
  // Most touches come before the opening; some while the deal runs (they count for a win).
  for (const { leadId, capturedAt } of leads) {
    const n = countAround(rng, mix.dealLeadExtra);
    for (let i = 0; i < n; i += 1) {
      const ms = rng.chance(0.8)
        ? rng.between(capturedAt + MINUTE, openAt - MINUTE)
        : openAt + rng.between(0.05, 0.95) * cycle;
      if (ms < latest) touch(leadId, ms);
    }
  }
  const dealId = id('deal');
  let amount = Math.max(1_000, Math.round(rng.logNormal(DEAL_MEDIAN[segment], 0.5) / 100) * 100);
  t.insert(openAt, rep, 'openDeal', {
    dealId,
    leadIds: leads.map((l) => l.leadId),
    account: company,
    amount,
    currency: rng.chance(0.15) ? 'EUR' : 'USD',
    ownerRepId: rep.id,
  });
  const at = (share: number) => Math.round(openAt + share * cycle);
  const reached = rng.int(1, STAGES.length);
  [0.05, 0.3, 0.6, 0.8].slice(0, reached).forEach((share, i) => {
    t.insert(at(share), rep, 'changeDealStage', { dealId, stage: STAGES[i] });
  });
  if (rng.chance(0.15)) {
    const changed = Math.max(1_000, Math.round((amount * rng.between(0.8, 1.25)) / 100) * 100);
    amount = changed === amount ? amount + 100 : changed;
    t.insert(at(0.5), rep, 'changeDealAmount', {
      dealId,
      amount,
      currency: null,
      reason: 'Scope changed',
    });
  }
  const close = (ms: number) => {
    if (rng.chance(0.42)) {
      t.insert(ms, rep, 'winDeal', { dealId, amount: null });
    } else {
      const reason = rng.weighted(LOST_REASONS);
      const competitor = reason === 'COMPETITOR' ? 'Funnelcraft' : null;
      t.insert(ms, rep, 'loseDeal', { dealId, reason, competitor });
    }
  };
  const closeAt = at(1);
  if (closeAt < YEAR_END - DAY) {
    close(closeAt);
    const reopenAt = closeAt + Math.round(rng.between(5, 30) * DAY);
    if (rng.chance(0.04) && reopenAt < YEAR_END - DAY) {
      t.insert(reopenAt, rep, 'reopenDeal', { dealId, reason: 'Came back with budget' });
      const finalAt = reopenAt + Math.round(rng.between(10, 40) * DAY);
      if (finalAt < YEAR_END - DAY) close(finalAt);
    }
  }
  return t.until(YEAR_END);
};

interface Cursor {
  items: TimedCommand[];
  next: number;
  rank: number;
}

const headMs = (c: Cursor) => c.items[c.next]!.ms;
const before = (a: Cursor, b: Cursor) =>
  headMs(a) !== headMs(b) ? headMs(a) < headMs(b) : a.rank < b.rank;

/** The year's commands in business-time order; an account is simulated when it starts. */
function* benchCommands(seed: string, mix: Mix): Generator<DemoCommand> {
  const heap: Cursor[] = [];
  const push = (cursor: Cursor) => {
    heap.push(cursor);
    for (let i = heap.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  };
  const advanceTop = () => {
    const top = heap[0]!;
    top.next += 1;
    if (top.next >= top.items.length) {
      const last = heap.pop()!;
      if (heap.length === 0) return;
      heap[0] = last;
    }
    for (let i = 0; ;) {
      const [l, r] = [2 * i + 1, 2 * i + 2];
      let least = i;
      if (l < heap.length && before(heap[l]!, heap[least]!)) least = l;
      if (r < heap.length && before(heap[r]!, heap[least]!)) least = r;
      if (least === i) return;
      [heap[i], heap[least]] = [heap[least]!, heap[i]!];
      i = least;
    }
  };
  push({ items: calendarCommands(seed, mix), next: 0, rank: -1 });
  let planned = 0;
  for (;;) {
    const top = heap[0];
    const plan = mix.accounts[planned];
    if (plan && (!top || plan.captureMs <= headMs(top))) {
      planned += 1;
      const items = simulateAccount(seed, mix, plan);
      if (items.length > 0) push({ items, next: 0, rank: planned });
      continue;
    }
    if (!top) return;
    yield top.items[top.next]!.command;
    advanceTop();
  }
}

// ---- the cached log ----------------------------------------------------------------------------

interface LogInfo {
  file: string;
  leads: number;
  deals: number;
  touches: number;
  campaigns: number;
  events: number;
  commands: number;
  eventsByType: Record<string, number>;
  generatedInMs: number;
}

const ensureLog = async (): Promise<LogInfo> => {
  const { leads, deals, touches, campaigns } = SIZES;
  const seed = SEED.replace(/[^A-Za-z0-9_-]/g, '_');
  const key = `analytics-${leads}-${deals}-${touches}-${campaigns}-${seed}-v${GENERATOR_VERSION}`;
  const { file, info } = await cachedLog(
    key,
    `${leads} leads, ${deals} deals, ~${touches} touches, ${campaigns} campaigns`,
    () => benchCommands(SEED, planMix(SEED)),
    (run) => ({
      leads: run.eventsByType.LeadCaptured ?? 0,
      deals: run.eventsByType.DealOpened ?? 0,
      touches: run.eventsByType.TouchRecorded ?? 0,
      campaigns: run.eventsByType.CampaignRegistered ?? 0,
      ...run,
    }),
  );
  return { ...info, file };
};

// ---- child processes ---------------------------------------------------------------------------

const peakRssMb = () => process.resourceUsage().maxRSS / 1024;

const percentile = (sorted: readonly number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;

interface Timing {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  runs: number;
  /** Rows returned by the last call. */
  rows: number;
}

interface PassResult {
  events: number;
  ms: number;
  peakRssMb: number;
  readStoreBytes?: number;
  /** Of `ms`: building the secondary indexes once caught up. */
  indexMs?: number;
}

interface QueryResult {
  timings: Record<string, Timing>;
  documents: Record<string, number>;
  flatRows: number;
  flatBuildMs: number;
  /** Whether each baseline gave the query's LINEAR revenue per key and currency. */
  baselinesMatch: Record<string, boolean>;
  peakRssMb: number;
}

/** `events.readAll()` with no projection: the best of a few full reads. */
const childLogRead = async (eventsFile: string): Promise<PassResult> => {
  const events = new SqliteEventStore(eventsFile);
  let best: PassResult | undefined;
  for (let r = 0; r < RUNS.logReads; r += 1) {
    const started = performance.now();
    let n = 0;
    for await (const event of events.readAll()) {
      if (event.revision < 0) throw new Error('unreachable');
      n += 1;
    }
    const ms = performance.now() - started;
    if (!best || ms < best.ms) best = { events: n, ms, peakRssMb: 0 };
  }
  await events.close();
  return { ...best!, peakRssMb: peakRssMb() };
};

const projectionsOf = (which: string): readonly Projection[] =>
  which === 'all' ? PROJECTIONS : [attributionProjection];

/** Every collection of `projections` with its secondary indexes, in the live generation. */
const ensureIndexes = async (
  store: ReadStore,
  access: ReadModelAccess,
  projections: readonly Projection[],
): Promise<void> => {
  for (const projection of projections) {
    for (const spec of projection.collections) {
      await store.ensureCollection({ ...spec, name: access.collection(spec.name) });
    }
  }
};

/** A fresh runner over `which` projections into an empty read store, from '' to the head. */
const childRebuild = async (
  eventsFile: string,
  readFile: string,
  which: string,
): Promise<PassResult> => {
  const events = new SqliteEventStore(eventsFile);
  const store = new SqliteReadStore(readFile);
  const head = await events.headPosition();
  const count = await events.countAfter('', Number.MAX_SAFE_INTEGER);
  const failures: unknown[] = [];
  const runner = new ProjectionRunner(events, store, projectionsOf(which), {
    onError: (error) => failures.push(error),
  });
  const started = performance.now();
  await runner.start();
  const reached = await runner.waitFor(head, 3_600_000);
  const caughtUp = performance.now();
  // The runner builds the secondary indexes once caught up, in its loop after the catch-up's
  // last flush; a stop() right after waitFor(head) ends that loop first and they never get
  // built (the next runner on the store builds them at start, under the queries). Built here
  // as the runner would (idempotent ensureCollection with the full specs), and counted.
  await ensureIndexes(store, runner.access, projectionsOf(which));
  const ms = performance.now() - started;
  await runner.stop();
  await store.close();
  await events.close();
  if (!reached || failures.length > 0) {
    throw new Error(`rebuild did not reach ${head}: ${failures.map(String).join('; ')}`);
  }
  const readStoreBytes = statSync(readFile).size;
  return {
    events: count,
    ms,
    peakRssMb: peakRssMb(),
    readStoreBytes,
    indexMs: ms - (caughtUp - started),
  };
};

/** Calls `fn(i)` WARM_UP times unmeasured, then `runs` times measured, one at a time. */
const time = async (runs: number, fn: (i: number) => Promise<number> | number): Promise<Timing> => {
  for (let i = 0; i < RUNS.warmUp; i += 1) await fn(i);
  const samples: number[] = [];
  let rows = 0;
  for (let i = 0; i < runs; i += 1) {
    const started = performance.now();
    rows = await fn(i);
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return {
    p50Ms: percentile(samples, 0.5),
    p99Ms: percentile(samples, 0.99),
    maxMs: samples.at(-1) ?? NaN,
    meanMs: samples.reduce((a, b) => a + b, 0) / samples.length,
    runs,
    rows,
  };
};

/**
 * A rolling 365-day range ending at a varying instant of the second half of the year (days and
 * hours vary with `i`): "the last year" as a dashboard asks for it, partly in 2024.
 */
const rollingRange = (i: number) => {
  const to =
    Date.parse('2025-07-01T00:00:00.000Z') + ((i * 37) % 184) * DAY + ((i * 5) % 24) * HOUR;
  return { from: iso(to - 365 * DAY), to: iso(to) };
};

const MEASURES: readonly Measure[] = ['revenue', 'pipeline', 'deals', 'opportunities'];
const MEASURE_COLUMNS = MEASURES.flatMap((m) =>
  ATTRIBUTION_MODELS.map((model) => measureField(m, model)),
);
const COMPARISON_COLUMNS = (['revenue', 'pipeline'] as const).flatMap((m) =>
  ATTRIBUTION_MODELS.map((model) => measureField(m, model)),
);
const modelColumns = (model: AttributionModel) => MEASURES.map((m) => measureField(m, model));

/**
 * Plain tables (one INTEGER column per measure x model, no JSON) in their own file, copied from
 * the read store: `credits` from attribution_deltas (the raw credits, indexed by day), and
 * `rollups` and `daily` from attribution_rollups and attribution_daily (the same aggregates the
 * query functions read, indexed as they are).
 */
const buildFlatTables = (readFile: string, access: ReadModelAccess, flatFile: string) => {
  const db = new Database(flatFile);
  db.pragma('journal_mode = WAL');
  db.exec(`ATTACH DATABASE '${readFile.replaceAll("'", "''")}' AS rs`);
  const copy = (table: string, logical: string, keys: Record<string, string>) => {
    const columns = [...Object.keys(keys), ...MEASURE_COLUMNS];
    db.exec(`CREATE TABLE ${table} (${columns.join(', ')})`);
    db.exec(
      `INSERT INTO ${table} SELECT ${[
        ...Object.values(keys).map((field) => `json_extract(doc, '$.${field}')`),
        ...MEASURE_COLUMNS.map((c) => `COALESCE(json_extract(doc, '$.${c}'), 0)`),
      ].join(', ')} FROM rs."${access.collection(logical)}"`,
    );
  };
  const creditKeys = {
    day: 'day',
    campaign_id: 'campaignId',
    channel: 'channel',
    unattributed: 'unattributed',
    currency: 'currency',
  };
  copy('credits', ATTRIBUTION_DELTAS, creditKeys);
  copy('daily', ATTRIBUTION_DAILY, creditKeys);
  copy('rollups', ATTRIBUTION_ROLLUPS, {
    dim: 'dim',
    block: 'block',
    key: 'key',
    unattributed: 'unattributed',
    currency: 'currency',
  });
  db.exec('DETACH DATABASE rs');
  db.exec('CREATE INDEX credits_day ON credits (day)');
  db.exec('CREATE INDEX daily_day ON daily (day)');
  db.exec('CREATE INDEX rollups_block ON rollups (dim, block)');
  db.exec('ANALYZE');
  return db;
};

type Row = Record<string, unknown>;

/** The raw-SQL baselines, one prepared statement per set of summed columns. */
const rawQueries = (db: Database.Database) => {
  const credits = (columns: readonly string[]) =>
    db.prepare<[string, string], Row>(
      `SELECT campaign_id AS k, unattributed AS u, currency AS c,
         ${columns.map((f) => `SUM(${f}) AS ${f}`).join(', ')}
       FROM credits WHERE day >= ? AND day <= ? GROUP BY k, u, c`,
    );
  const aggregates = (columns: readonly string[]) =>
    db.prepare<[string, string], Row>(
      `SELECT k, u, c, ${columns.map((f) => `SUM(${f}) AS ${f}`).join(', ')} FROM (
         SELECT key AS k, unattributed AS u, currency AS c, ${columns.join(', ')} FROM rollups
         WHERE dim = 'CAMPAIGN' AND block IN (SELECT value FROM json_each(?))
         UNION ALL
         SELECT campaign_id, unattributed, currency, ${columns.join(', ')} FROM daily
         WHERE day IN (SELECT value FROM json_each(?))
       ) GROUP BY k, u, c`,
    );
  const byModel = (
    make: (columns: readonly string[]) => Database.Statement<[string, string], Row>,
  ) => new Map(ATTRIBUTION_MODELS.map((m) => [m, make(modelColumns(m))]));
  const creditsByModel = byModel(credits);
  const aggregatesByModel = byModel(aggregates);
  const creditsComparison = credits(COMPARISON_COLUMNS);
  const aggregatesComparison = aggregates(COMPARISON_COLUMNS);
  /** The days [gte, lte] of a range, as the query functions take them. */
  const days = (range: { from: string; to: string }): [string, string] => {
    const d = daysCovering(range.from, range.to)!;
    return [d.gte, d.lte];
  };
  /** The blocks the query functions read for the days (no asOf): rollups, and single days. */
  const blocks = (range: { from: string; to: string }): [string, string] => {
    const all = blocksCovering(...days(range));
    const larger = all.filter((b) => b.kind !== 'D1').map(blockId);
    const single = all.filter((b) => b.kind === 'D1').map((b) => b.start);
    return [JSON.stringify(larger), JSON.stringify(single)];
  };
  return {
    credits: (range: { from: string; to: string }, model?: AttributionModel) =>
      (model ? creditsByModel.get(model)! : creditsComparison).all(...days(range)),
    aggregates: (range: { from: string; to: string }, model?: AttributionModel) =>
      (model ? aggregatesByModel.get(model)! : aggregatesComparison).all(...blocks(range)),
  };
};

/** Whether raw rows give the query's LINEAR revenue per key and currency (in cents). */
const sameRevenue = (rows: readonly Row[], query: readonly AttributionRow[]): boolean => {
  const field = measureField('revenue', 'LINEAR');
  const id = (currency: unknown, unattributed: unknown, key: unknown) =>
    `${String(currency)}|${Number(unattributed)}|${unattributed ? '' : String(key)}`;
  const raw = new Map(
    rows.filter((r) => r[field] !== 0).map((r) => [id(r.c, r.u, r.k), r[field] as number]),
  );
  const fromQuery = query.filter((r) => r.revenue !== 0);
  return (
    fromQuery.length === raw.size &&
    fromQuery.every(
      (r) => raw.get(id(r.currency, r.unattributed, r.key)) === Math.round(r.revenue * 100),
    )
  );
};

const childQueries = async (
  eventsFile: string,
  readFile: string,
  flatFile: string,
): Promise<QueryResult> => {
  const events = new SqliteEventStore(eventsFile);
  const store = new SqliteReadStore(readFile);
  const failures: unknown[] = [];
  const runner = new ProjectionRunner(events, store, PROJECTIONS, {
    onError: (error) => failures.push(error),
  });
  await runner.start();
  if (!(await runner.waitFor(await events.headPosition(), 600_000))) {
    throw new Error(`the runner did not reach the head: ${failures.map(String).join('; ')}`);
  }
  const access = runner.access;
  // Built by the rebuild already (no-ops), but never measured while a runner builds them.
  await ensureIndexes(store, access, PROJECTIONS);
  const documents: Record<string, number> = {};
  for (const logical of [
    ATTRIBUTION_LEADS,
    ATTRIBUTION_DEALS,
    ATTRIBUTION_DELTAS,
    ATTRIBUTION_DAILY,
    ATTRIBUTION_ROLLUPS,
    CAMPAIGN_STATS,
    CAMPAIGN_COSTS,
  ]) {
    documents[logical] = await store.count(access.collection(logical));
  }

  const model = (i: number): AttributionModel => ATTRIBUTION_MODELS[i % ATTRIBUTION_MODELS.length]!;
  const year = (): AttributionRangeArgs => ({ ...CALENDAR_YEAR, groupBy: 'CAMPAIGN' });
  const rolling = (i: number): AttributionRangeArgs => ({
    ...rollingRange(i),
    groupBy: 'CAMPAIGN',
  });
  const timings: Record<string, Timing> = {};
  const n = RUNS.queries;
  timings.attribution = await time(
    n,
    async (i) => (await attribution(access, { ...year(), model: model(i) })).length,
  );
  timings.attributionRolling = await time(
    n,
    async (i) => (await attribution(access, { ...rolling(i), model: model(3 * i + 1) })).length,
  );
  timings.comparison = await time(
    n,
    async () => (await attributionComparison(access, year())).length,
  );
  timings.comparisonRolling = await time(
    n,
    async (i) => (await attributionComparison(access, rolling(i))).length,
  );
  timings.campaignPerformance = await time(
    n,
    async () => (await campaignPerformance(access, CALENDAR_YEAR)).length,
  );
  timings.campaignPerformanceRolling = await time(
    n,
    async (i) => (await campaignPerformance(access, rollingRange(i))).length,
  );

  // The baselines: the same sums in plain SQL, over the raw credits and over the aggregates.
  const flatStarted = performance.now();
  const flat = buildFlatTables(readFile, access, flatFile);
  const flatBuildMs = performance.now() - flatStarted;
  const flatRows = flat.prepare('SELECT COUNT(*) FROM credits').pluck().get() as number;
  const raw = rawQueries(flat);
  const r = RUNS.raw;
  timings.rawCredits = await time(r, (i) => raw.credits(CALENDAR_YEAR, model(i)).length);
  timings.rawCreditsRolling = await time(
    r,
    (i) => raw.credits(rollingRange(i), model(3 * i + 1)).length,
  );
  timings.rawCreditsComparison = await time(r, () => raw.credits(CALENDAR_YEAR).length);
  timings.rawCreditsComparisonRolling = await time(r, (i) => raw.credits(rollingRange(i)).length);
  timings.rawAggregates = await time(n, (i) => raw.aggregates(CALENDAR_YEAR, model(i)).length);
  timings.rawAggregatesRolling = await time(
    n,
    (i) => raw.aggregates(rollingRange(i), model(3 * i + 1)).length,
  );
  timings.rawAggregatesComparison = await time(n, () => raw.aggregates(CALENDAR_YEAR).length);
  timings.rawAggregatesComparisonRolling = await time(
    n,
    (i) => raw.aggregates(rollingRange(i)).length,
  );

  const linearYear = await attribution(access, { ...year(), model: 'LINEAR' });
  const linearRolling = await attribution(access, { ...rolling(7), model: 'LINEAR' });
  const baselinesMatch = {
    credits: sameRevenue(raw.credits(CALENDAR_YEAR, 'LINEAR'), linearYear),
    creditsRolling: sameRevenue(raw.credits(rollingRange(7), 'LINEAR'), linearRolling),
    aggregates: sameRevenue(raw.aggregates(CALENDAR_YEAR, 'LINEAR'), linearYear),
    aggregatesRolling: sameRevenue(raw.aggregates(rollingRange(7), 'LINEAR'), linearRolling),
  };

  flat.close();
  await runner.stop();
  await store.close();
  await events.close();
  if (failures.length > 0) throw new Error(`runner failed: ${failures.map(String).join('; ')}`);
  return { timings, documents, flatRows, flatBuildMs, baselinesMatch, peakRssMb: peakRssMb() };
};

const runChild = async (args: string[]): Promise<PassResult | QueryResult> => {
  const [kind, eventsFile, readFile, extra] = args;
  if (kind === 'log-read') return childLogRead(eventsFile!);
  if (kind === 'rebuild') return childRebuild(eventsFile!, readFile!, extra!);
  if (kind === 'queries') return childQueries(eventsFile!, readFile!, extra!);
  throw new Error(`unknown child ${kind}`);
};

/** Forks this script in child mode; BENCH_CHILD_ARGS adds node flags (e.g. --cpu-prof). */
const inChild = <T>(args: string[]): Promise<T> =>
  new Promise((resolvePromise, rejectPromise) => {
    const execArgv = (process.env.BENCH_CHILD_ARGS ?? '').split(' ').filter(Boolean);
    const child = fork(__filename, ['child', ...args], { execArgv });
    let result: T | undefined;
    child.on('message', (message) => (result = message as T));
    child.on('error', rejectPromise);
    child.on('exit', (code) =>
      result && code === 0
        ? resolvePromise(result)
        : rejectPromise(new Error(`child ${args[0]} exited with ${code}`)),
    );
  });

// ---- run -----------------------------------------------------------------------------------------

const perSec = (r: PassResult) => (r.events * 1000) / r.ms;
const round = (n: number) => Math.round(n);
const roundTo2 = (n: number) => Math.round(n * 100) / 100;
const roundTo3 = (n: number) => Math.round(n * 1000) / 1000;

const main = async () => {
  const log = await ensureLog();
  const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'lead-ledger-bench-analytics-'));
  console.log(`analytics benchmark${QUICK ? ' (quick)' : ''}: files in ${dir}`);
  try {
    const eventsFile = join(dir, 'events.sqlite');
    copyFileSync(log.file, eventsFile);
    const logRead = await inChild<PassResult>(['log-read', eventsFile]);
    const attributionFile = join(dir, 'read-attribution.sqlite');
    const attributionRebuild = await inChild<PassResult>([
      'rebuild',
      eventsFile,
      attributionFile,
      'attribution',
    ]);
    rmSync(attributionFile, { force: true });
    const readFile = join(dir, 'read-all.sqlite');
    const allRebuild = await inChild<PassResult>(['rebuild', eventsFile, readFile, 'all']);
    const queries = await inChild<QueryResult>([
      'queries',
      eventsFile,
      readFile,
      join(dir, 'flat.sqlite'),
    ]);
    const q = queries.timings;
    const t = (key: string) => q[key]!;

    const handledByAttribution = Object.entries(log.eventsByType)
      .filter(([type]) => attributionProjection.handles.has(type))
      .reduce((sum, [, n]) => sum + n, 0);
    const figures = {
      attributionP50Ms: roundTo2(t('attribution').p50Ms),
      attributionP99Ms: roundTo2(t('attribution').p99Ms),
      attributionRollingP50Ms: roundTo2(t('attributionRolling').p50Ms),
      attributionRollingP99Ms: roundTo2(t('attributionRolling').p99Ms),
      comparisonP50Ms: roundTo2(t('comparison').p50Ms),
      comparisonP99Ms: roundTo2(t('comparison').p99Ms),
      comparisonRollingP50Ms: roundTo2(t('comparisonRolling').p50Ms),
      comparisonRollingP99Ms: roundTo2(t('comparisonRolling').p99Ms),
      campaignPerformanceP50Ms: roundTo2(t('campaignPerformance').p50Ms),
      campaignPerformanceP99Ms: roundTo2(t('campaignPerformance').p99Ms),
      campaignPerformanceRollingP99Ms: roundTo2(t('campaignPerformanceRolling').p99Ms),
      attributionRebuildEventsPerSec: round(perSec(attributionRebuild)),
      attributionRebuildHandledEventsPerSec: round(
        (handledByAttribution * 1000) / attributionRebuild.ms,
      ),
      allProjectionsRebuildEventsPerSec: round(perSec(allRebuild)),
      logReadEventsPerSec: round(perSec(logRead)),
      rawCreditsAttributionP50Ms: roundTo2(t('rawCredits').p50Ms),
      rawCreditsComparisonP50Ms: roundTo2(t('rawCreditsComparison').p50Ms),
      rawAggregatesAttributionP50Ms: roundTo2(t('rawAggregates').p50Ms),
      rawAggregatesComparisonP50Ms: roundTo2(t('rawAggregatesComparison').p50Ms),
    };
    const ratio = (a: number, b: number) => roundTo3(a / b);
    const ratios = {
      attributionRebuildVsLogRead: ratio(perSec(attributionRebuild), perSec(logRead)),
      allProjectionsRebuildVsLogRead: ratio(perSec(allRebuild), perSec(logRead)),
      attributionRebuildVsAllProjections: ratio(perSec(attributionRebuild), perSec(allRebuild)),
      // Below 1: the read model answers faster than summing the raw credits in plain SQL.
      attributionP50VsRawCredits: ratio(t('attribution').p50Ms, t('rawCredits').p50Ms),
      attributionRollingP50VsRawCredits: ratio(
        t('attributionRolling').p50Ms,
        t('rawCreditsRolling').p50Ms,
      ),
      comparisonP50VsRawCredits: ratio(t('comparison').p50Ms, t('rawCreditsComparison').p50Ms),
      comparisonRollingP50VsRawCredits: ratio(
        t('comparisonRolling').p50Ms,
        t('rawCreditsComparisonRolling').p50Ms,
      ),
      // The store's and query functions' overhead over the same aggregates in plain SQL.
      attributionP50VsRawAggregates: ratio(t('attribution').p50Ms, t('rawAggregates').p50Ms),
      attributionRollingP50VsRawAggregates: ratio(
        t('attributionRolling').p50Ms,
        t('rawAggregatesRolling').p50Ms,
      ),
      comparisonP50VsRawAggregates: ratio(
        t('comparison').p50Ms,
        t('rawAggregatesComparison').p50Ms,
      ),
      comparisonRollingP50VsRawAggregates: ratio(
        t('comparisonRolling').p50Ms,
        t('rawAggregatesComparisonRolling').p50Ms,
      ),
    };
    const below = (actual: number) => ({
      below: TARGET_P99_MS,
      actual,
      pass: actual < TARGET_P99_MS,
    });
    const targets = {
      attributionP99Ms: below(figures.attributionP99Ms),
      attributionRollingP99Ms: below(figures.attributionRollingP99Ms),
      comparisonP99Ms: below(figures.comparisonP99Ms),
      comparisonRollingP99Ms: below(figures.comparisonRollingP99Ms),
      campaignPerformanceP99Ms: below(figures.campaignPerformanceP99Ms),
    };

    const ms = (n: number) => `${n.toFixed(2)} ms`;
    const latency = (key: string, what: string): Cell[] => [
      key,
      ms(t(key).p50Ms),
      ms(t(key).p99Ms),
      ms(t(key).maxMs),
      t(key).rows,
      what,
    ];
    console.log(
      `\n${formatTable(
        ['query', 'p50', 'p99', 'max', 'rows', 'what'],
        [
          latency(
            'attribution',
            `calendar 2025, by CAMPAIGN, models in turn, ${t('attribution').runs} calls`,
          ),
          latency('attributionRolling', 'rolling 365 days ending Jul-Dec 2025, models in turn'),
          latency('comparison', 'attributionComparison, calendar 2025, by CAMPAIGN'),
          latency('comparisonRolling', 'attributionComparison, rolling 365 days'),
          latency('campaignPerformance', 'calendar 2025, all campaigns'),
          latency('campaignPerformanceRolling', 'rolling 365 days, all campaigns'),
          latency('rawCredits', 'plain SQL SUM x4 GROUP BY over the raw credits, calendar 2025'),
          latency('rawCreditsRolling', 'the same, rolling 365 days'),
          latency('rawCreditsComparison', 'plain SQL SUM x16 over the raw credits, calendar 2025'),
          latency('rawCreditsComparisonRolling', 'the same, rolling 365 days'),
          latency('rawAggregates', 'plain SQL SUM x4 over the same rollups + daily rows'),
          latency('rawAggregatesRolling', 'the same, rolling 365 days'),
          latency('rawAggregatesComparison', 'plain SQL SUM x16 over the same rollups + daily'),
          latency('rawAggregatesComparisonRolling', 'the same, rolling 365 days'),
        ],
      )}\n`,
    );
    console.log(
      `${formatTable(
        ['rebuild', 'events/s', 'ms', 'peak RSS MB', 'what'],
        [
          [
            'logRead',
            perSec(logRead),
            round(logRead.ms),
            round(logRead.peakRssMb),
            'events.readAll(), no projection (the ceiling)',
          ],
          [
            'attribution',
            perSec(attributionRebuild),
            round(attributionRebuild.ms),
            round(attributionRebuild.peakRssMb),
            `attribution alone, fresh runner and SqliteReadStore (${handledByAttribution} events handled; indexes ${round(attributionRebuild.indexMs ?? 0)} ms)`,
          ],
          [
            'allProjections',
            perSec(allRebuild),
            round(allRebuild.ms),
            round(allRebuild.peakRssMb),
            `${PROJECTIONS.length} projections together (indexes ${round(allRebuild.indexMs ?? 0)} ms)`,
          ],
        ],
      )}\n`,
    );
    console.log(
      formatTable(
        ['target', 'actual', 'bound', 'result'],
        Object.entries(targets).map(([key, x]) => [
          key,
          ms(x.actual),
          `< ${x.below} ms`,
          x.pass ? 'pass' : 'FAIL',
        ]),
      ),
    );
    console.log(`\nratios: ${JSON.stringify(ratios)}`);

    writeJson(RESULTS_FILE, {
      ...figures,
      ratios,
      targets,
      sizes: {
        leads: log.leads,
        deals: log.deals,
        touches: log.touches,
        campaigns: log.campaigns,
        events: log.events,
        commands: log.commands,
        eventsHandledByAttribution: handledByAttribution,
        eventsByType: log.eventsByType,
        readModelDocuments: queries.documents,
        flatCreditRows: queries.flatRows,
      },
      machine: machine(),
      date: new Date().toISOString(),
      quick: QUICK,
      method: {
        data:
          `bench/analytics.ts's own deterministic generator (seed ${SEED}, version ${GENERATOR_VERSION}): ` +
          'a year (2025) of campaigns with monthly costs, leads with touches (72% naming a running ' +
          'campaign), 10% of deals with two leads, deals opened after MQL/SAL/SQL, some amounts ' +
          'changed, ~42% won, reopenings; written through createDemoHandler + runDemo (the ' +
          'CommandHandler, never the stores) once, cached under bench/.cache/',
        queries:
          `the query functions on ProjectionRunner.access over the read store of the all-projections ` +
          `rebuild, one call at a time in one process, ${RUNS.warmUp} warm-up calls discarded, then ` +
          `${RUNS.queries} measured per workload; attribution alternates the 8 models; rolling ranges ` +
          'end on varying days and hours of Jul-Dec 2025; asOf not exercised (every delta is ' +
          'recorded in 2026, after its business day, so an as-of read of 2025 would read them all)',
        rebuild:
          'a fresh ProjectionRunner (defaults) and SqliteReadStore, start() to waitFor(head), then ' +
          'the secondary indexes (ensureCollection with the full specs, as the runner does once ' +
          "caught up; it skips them when stopped right after waitFor), over the whole log; 'attribution' runs " +
          'PROJECTIONS filtered to attributionProjection; events/s counts every event of the log ' +
          '(the runner reads them all), attributionRebuildHandledEventsPerSec only those it handles; ' +
          `the log read is the best of ${RUNS.logReads} EventStore.readAll() passes; each in its own process`,
        rawSqlBaselines:
          'attribution_deltas, attribution_rollups and attribution_daily copied (json_extract) into ' +
          'plain better-sqlite3 tables with one INTEGER column per measure x model (another file). ' +
          'rawCredits: SELECT campaign_id, unattributed, currency, SUM(...) FROM credits WHERE day ' +
          `BETWEEN GROUP BY the three (index on day), ${RUNS.raw} calls: what answering from the raw ` +
          'credits costs. rawAggregates: the same sums over the rollup blocks and single days the ' +
          'query functions read (blocksCovering, index on dim, block / day), UNION ALL, GROUP BY: ' +
          `the query path without the JSON documents and the port, ${RUNS.queries} calls. 4 sums ` +
          '(attribution) or 16 (comparison), same ranges and models; each checked to give the ' +
          `query's LINEAR revenue per campaign and currency: ${JSON.stringify(queries.baselinesMatch)}`,
        percentiles: 'nearest rank over the measured calls',
      },
      notes: {
        timings: Object.fromEntries(
          Object.entries(q).map(([key, x]) => [
            key,
            {
              p50Ms: roundTo2(x.p50Ms),
              p99Ms: roundTo2(x.p99Ms),
              maxMs: roundTo2(x.maxMs),
              meanMs: roundTo2(x.meanMs),
              runs: x.runs,
              rows: x.rows,
            },
          ]),
        ),
        logReadMs: round(logRead.ms),
        attributionRebuildMs: round(attributionRebuild.ms),
        attributionRebuildPeakRssMb: round(attributionRebuild.peakRssMb),
        attributionReadStoreBytes: attributionRebuild.readStoreBytes,
        attributionRebuildIndexMs: round(attributionRebuild.indexMs ?? 0),
        allProjectionsRebuildMs: round(allRebuild.ms),
        allProjectionsRebuildIndexMs: round(allRebuild.indexMs ?? 0),
        allProjectionsRebuildPeakRssMb: round(allRebuild.peakRssMb),
        allProjectionsReadStoreBytes: allRebuild.readStoreBytes,
        queryProcessPeakRssMb: round(queries.peakRssMb),
        flatTableBuildMs: round(queries.flatBuildMs),
        logGeneratedInMs: log.generatedInMs,
        cache: log.file.slice(ROOT.length + 1),
        tempDir: dir,
      },
    });
    console.log(`\nwrote ${RESULTS_FILE}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

runBench(main, runChild);
