import { simulateLead, type LeadPlan } from './journey';
import { hashTag, Random } from './random';
import { buildSchedule, DEMO_DAYS, type Schedule } from './schedule';
import { byTime, type DemoCommand, type TimedCommand } from './timeline';
import { DAY, localDay, localTime, MINUTE, weekday } from './working-time';
import { OFFICE_HOURS, REGION_WEIGHTS } from './world';

export type { DemoCommand } from './timeline';

/**
 * A realistic, deterministic year of sales and marketing activity as commands, in business-time
 * order: campaigns with monthly costs, touches and scores, MQLs, handoffs answered in time, late
 * or not at all, rejections, the SLA monitor's breaches, contact attempts, SQLs, deals won and
 * lost, erasure requests. Same parameters, same commands: the random source is seeded and
 * nothing reads a clock. Each command carries an idempotency key derived from the seed, so
 * the ids the handler derives from it (events, follow-ups) are the same on every run too.
 */
export interface DemoParams {
  /** Leads captured over the year. */
  leads: number;
  seed: string | number;
  /** First instant of the year (ISO-8601; a date means midnight UTC). */
  start: string;
  /** Length of the story in days (default 365: a year). */
  days?: number;
}

/** Bump when the generator's output changes for the same parameters (caches key on it). */
export const DEMO_GENERATOR_VERSION = 1;

/** Capture volume over the year: weekdays, a summer and December dip, growth. */
const MONTH_FACTORS = [1.0, 1.1, 1.15, 1.05, 1.05, 0.95, 0.8, 0.75, 1.1, 1.15, 1.05, 0.7];
const WEEKDAY_FACTORS = [0.25, 1, 1.05, 1.05, 1, 0.9, 0.3];
/** Local hours at which leads arrive (forms, chats, scans). */
const CAPTURE_HOURS: ReadonlyArray<readonly [number, number]> = [
  0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.5, 4, 4.5, 4.5, 3.5, 4, 4.5, 4.2, 3.5, 2.5, 1.8, 1.5,
  1.3, 1, 0.7, 0.4,
].map((w, hour) => [hour, w] as const);
/** Shares of leads captured at a trade show and by a webinar registration. */
const EVENT_SHARE = 0.06;
const WEBINAR_SHARE = 0.09;

/** Relative capture volume of each day of the story, from `startMs`: growth of 25% a year. */
const dayWeights = (startMs: number, days: number): Float64Array => {
  const weights = new Float64Array(days);
  for (let d = 0; d < days; d += 1) {
    const date = new Date(startMs + d * DAY);
    const day = Math.floor((startMs + d * DAY) / DAY);
    weights[d] =
      MONTH_FACTORS[date.getUTCMonth()]! *
      WEEKDAY_FACTORS[weekday(day)]! *
      (1 + (0.25 * d) / DEMO_DAYS);
  }
  return weights;
};

const parseStart = (start: string): number => {
  const ms = Date.parse(start);
  if (Number.isNaN(ms)) throw new RangeError(`start must be an ISO-8601 date or instant: ${start}`);
  return ms;
};

/** Longest story: ten years. */
export const MAX_DEMO_DAYS = 3_650;

const daysOf = (params: DemoParams): number => params.days ?? DEMO_DAYS;

const checkParams = (params: DemoParams): void => {
  const { leads } = params;
  if (!Number.isInteger(leads) || leads < 0) throw new RangeError('leads must be an integer >= 0');
  const days = daysOf(params);
  if (!Number.isInteger(days) || days < 1 || days > MAX_DEMO_DAYS) {
    throw new RangeError(`days must be an integer from 1 to ${MAX_DEMO_DAYS}`);
  }
};

/** Capture time, region and source of every lead, in capture order. */
const planLeads = (params: DemoParams, schedule: Schedule, weights: Float64Array): LeadPlan[] => {
  const seed = String(params.seed);
  const rng = new Random(seed, 'arrivals');
  const { startMs, endMs, events, webinars } = schedule;
  const cumulative = new Float64Array(weights.length);
  weights.reduce((sum, w, i) => (cumulative[i] = sum + w), 0);
  const total = cumulative[cumulative.length - 1]!;
  const dayOf = (r: number) => {
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! <= r) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const plans: LeadPlan[] = [];
  for (let index = 0; index < params.leads; index += 1) {
    const r = rng.next();
    let plan: LeadPlan;
    if (r < EVENT_SHARE && events.length > 0) {
      const campaign = rng.pick(events);
      const team = campaign.team!;
      const { utcOffsetHours: offset } = OFFICE_HOURS[team];
      const day = localDay(campaign.dayMs, offset) + rng.int(0, 1);
      const captureMs = localTime(day, rng.between(9.5, 17.5), offset);
      plan = { index, captureMs, team, source: { kind: 'event', campaign } };
    } else if (r < EVENT_SHARE + WEBINAR_SHARE && webinars.length > 0) {
      const campaign = rng.pick(webinars);
      const team = rng.weighted(REGION_WEIGHTS);
      const { utcOffsetHours: offset } = OFFICE_HOURS[team];
      const first = localDay(campaign.fromMs, offset);
      const days = Math.max(1, localDay(campaign.dayMs, offset) - first);
      const hour = rng.weighted(CAPTURE_HOURS) + rng.next();
      const at = localTime(first + rng.int(0, days - 1), hour, offset);
      const captureMs = Math.min(Math.max(at, campaign.fromMs), campaign.dayMs - MINUTE);
      plan = { index, captureMs, team, source: { kind: 'webinar', campaign } };
    } else {
      const team = rng.weighted(REGION_WEIGHTS);
      const { utcOffsetHours: offset } = OFFICE_HOURS[team];
      const day = localDay(startMs, offset) + dayOf(rng.next() * total);
      const hour = rng.weighted(CAPTURE_HOURS) + rng.next();
      plan = { index, captureMs: localTime(day, hour, offset), team, source: { kind: 'general' } };
    }
    // The agreements and campaigns come first; nothing is captured after the year.
    plan.captureMs = Math.round(Math.min(Math.max(plan.captureMs, startMs + MINUTE), endMs - 1));
    plans.push(plan);
  }
  return plans.sort((a, b) => a.captureMs - b.captureMs || a.index - b.index);
};

/** The schedule of the demo year (exposed for tests and tools that want the campaign plan). */
export const demoSchedule = (params: DemoParams): Schedule => {
  checkParams(params);
  const startMs = parseStart(params.start);
  const days = daysOf(params);
  const weights = dayWeights(startMs, days);
  const total = weights.reduce((a, b) => a + b, 0);
  const expectedLeads = (fromMs: number, toMs: number) => {
    let sum = 0;
    for (let d = 0; d < weights.length; d += 1) {
      const dayMs = startMs + d * DAY;
      if (dayMs >= fromMs && dayMs < toMs) sum += weights[d]!;
    }
    return (params.leads * sum) / total;
  };
  const seed = String(params.seed);
  return buildSchedule({ seed, tag: hashTag(seed), startMs, days, expectedLeads });
};

interface Cursor {
  items: TimedCommand[];
  next: number;
  /** Equal business times: the company calendar first, then leads by capture order. */
  rank: number;
}

const head = (c: Cursor) => c.items[c.next]!;
const before = (a: Cursor, b: Cursor) => {
  const order = byTime(head(a), head(b));
  return order !== 0 ? order < 0 : a.rank < b.rank;
};

/** A binary min-heap of cursors by their next command. */
class CursorHeap {
  private readonly items: Cursor[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Cursor | undefined {
    return this.items[0];
  }

  push(cursor: Cursor): void {
    const items = this.items;
    items.push(cursor);
    for (let i = items.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  /** Moves the top cursor on by one command, dropping it when it has no more. */
  advanceTop(): void {
    const items = this.items;
    const top = items[0]!;
    top.next += 1;
    if (top.next >= top.items.length) {
      const last = items.pop()!;
      if (items.length === 0) return;
      items[0] = last;
    }
    for (let i = 0; ;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < items.length && before(items[left]!, items[least]!)) least = left;
      if (right < items.length && before(items[right]!, items[least]!)) least = right;
      if (least === i) return;
      [items[i], items[least]] = [items[least]!, items[i]!];
      i = least;
    }
  }
}

/**
 * The demo year as commands, lazily: a lead's journey is simulated when its capture time comes,
 * so memory holds the leads in flight, not the whole year.
 */
export function* generateDemo(params: DemoParams): Generator<DemoCommand> {
  const schedule = demoSchedule(params);
  const plans = planLeads(params, schedule, dayWeights(schedule.startMs, daysOf(params)));
  const heap = new CursorHeap();
  if (schedule.commands.length > 0) heap.push({ items: schedule.commands, next: 0, rank: -1 });
  let planned = 0;
  for (;;) {
    const top = heap.peek();
    const plan = plans[planned];
    if (plan && (!top || plan.captureMs <= head(top).ms)) {
      planned += 1;
      const items = simulateLead(plan, schedule);
      if (items.length > 0) heap.push({ items, next: 0, rank: planned });
      continue;
    }
    if (!top) return;
    yield head(top).command;
    heap.advanceTop();
  }
}
