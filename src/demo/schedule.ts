import type { SlaTerms } from '../domain/sla/events';
import type { Channel, Segment } from '../domain/shared/values';
import { Random } from './random';
import { Timeline, type TimedCommand } from './timeline';
import { DAY, HOUR, MINUTE, localTime, weekday } from './working-time';
import {
  ALWAYS_ON,
  EVENTS,
  MARKETING_OPS,
  OFFICE_HOURS,
  REVOPS,
  SLA_AGREEMENT_ID,
  SLA_REVISION,
  SLA_TERMS,
  WEBINAR_TOPICS,
  type SegmentTerms,
  type Team,
} from './world';

export interface Campaign {
  id: string;
  /** Stable within the demo (`email-nurture`, `webinar-2025-03-…`); the id adds year and seed. */
  slug: string;
  name: string;
  channel: Channel;
  kind: 'always-on' | 'webinar' | 'event';
  /** Events are regional; everything else runs everywhere. */
  team: Team | null;
  /** Leads and touches may name the campaign in [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  contentIds: readonly string[];
  /** Monthly budget (always-on) or total cost (webinar, event): bigger campaigns reach more. */
  budget: number;
  /** Webinar broadcast, or the first day of an event. */
  dayMs: number;
}

/** The company calendar for the demo year, and the commands it produces on its own. */
export interface Schedule {
  seed: string;
  /** Short hash of the seed: keeps ids and keys of two seeds apart in one store. */
  tag: string;
  startMs: number;
  endMs: number;
  campaigns: Campaign[];
  webinars: Campaign[];
  events: Campaign[];
  /** SLA terms the lead decider will find in force for a handoff at `ms`. */
  termsAt(segment: Segment, ms: number): SlaTerms;
  modelVersionAt(ms: number): string;
  /** Agreements, campaigns, costs and goals, in business-time order. */
  commands: TimedCommand[];
}

export const DEMO_DAYS = 365;
/** Rough revenue, MQLs and SQLs per captured lead, to set goals that are in reach. */
const REVENUE_PER_LEAD = 700;
const MQL_PER_LEAD = 0.36;
const SQL_PER_LEAD = 0.09;

const pad = (n: number) => String(n).padStart(2, '0');
const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const monthStart = (year: number, month: number) => Date.UTC(year, month, 1);

/** The `n`-th (1-based) `dow` (0 Sunday) of a month, at `hour` local time for `team`. */
const nthWeekday = (
  year: number,
  month: number,
  dow: number,
  n: number,
  hour: number,
  team: Team,
) => {
  const first = Math.floor(monthStart(year, month) / DAY);
  const offset = (dow - weekday(first) + 7) % 7;
  return localTime(first + offset + 7 * (n - 1), hour, OFFICE_HOURS[team].utcOffsetHours);
};

const slugOf = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

const termsInput = (t: SegmentTerms) => ({
  agreementId: SLA_AGREEMENT_ID,
  acceptWithinMinutes: t.acceptWithinMinutes,
  firstContactWithinMinutes: t.firstContactWithinMinutes,
  minAttempts: t.minAttempts,
  attemptWindowDays: t.attemptWindowDays,
  monthlyMqlCommitment: t.monthlyMqlCommitment,
  mqlToSqlBenchmark: t.mqlToSqlBenchmark,
  segment: t.segment,
});

const asTerms = ({ segment: _segment, ...terms }: SegmentTerms): SlaTerms => terms;

export interface ScheduleParams {
  seed: string;
  tag: string;
  startMs: number;
  /** Length of the story (default `DEMO_DAYS`). */
  days?: number;
  /** Expected captured leads in [fromMs, toMs): goals follow the lead volume. */
  expectedLeads: (fromMs: number, toMs: number) => number;
}

export const buildSchedule = ({
  seed,
  tag,
  startMs,
  days = DEMO_DAYS,
  expectedLeads,
}: ScheduleParams): Schedule => {
  const endMs = startMs + days * DAY;
  const rng = new Random(seed, 'schedule');
  const start = new Date(startMs);
  const [y0, m0] = [start.getUTCFullYear(), start.getUTCMonth()];
  const months: Array<{ year: number; month: number; fromMs: number; toMs: number }> = [];
  for (let k = 0; ; k += 1) {
    const fromMs = k === 0 ? startMs : monthStart(y0, m0 + k);
    if (fromMs >= endMs) break;
    const d = new Date(monthStart(y0, m0 + k));
    months.push({
      year: d.getUTCFullYear(),
      month: d.getUTCMonth(),
      fromMs,
      toMs: Math.min(endMs, monthStart(y0, m0 + k + 1)),
    });
  }
  const g = new Timeline(`demo:${tag}:G`, startMs);
  const campaignId = (slug: string) => `cmp-${y0}-${slug}-${tag.slice(0, 6)}`;

  // SLA agreement: defaults and segment terms from the start, one revision mid-year.
  const yearMqls = Math.round(expectedLeads(startMs, endMs) * MQL_PER_LEAD);
  const [defaults, ...segments] = SLA_TERMS;
  g.insert(startMs, REVOPS, 'defineSlaAgreement', {
    ...termsInput(defaults!),
    monthlyMqlCommitment: Math.max(1, Math.round(yearMqls / 12)),
  });
  for (const terms of segments) g.insert(startMs, REVOPS, 'defineSlaAgreement', termsInput(terms));
  const revisionMs = startMs + 182 * DAY + 8 * HOUR;
  g.insert(revisionMs, REVOPS, 'defineSlaAgreement', termsInput(SLA_REVISION));
  const termsFor = (segment: Segment, ms: number): SlaTerms => {
    if (segment === SLA_REVISION.segment && ms >= revisionMs) return asTerms(SLA_REVISION);
    const own = segments.find((t) => t.segment === segment);
    return asTerms(own ?? defaults!);
  };

  // Campaigns: always-on ones billed monthly, a webinar a month, regional trade shows.
  const campaigns: Campaign[] = [];
  const register = (c: Campaign, atMs: number) => {
    campaigns.push(c);
    g.insert(atMs, MARKETING_OPS, 'registerCampaign', {
      campaignId: c.id,
      name: c.name,
      channel: c.channel,
    });
  };
  const cost = (c: Campaign, atMs: number, amount: number, fromMs: number, toMs: number) => {
    g.insert(atMs, MARKETING_OPS, 'recordCampaignCost', {
      campaignId: c.id,
      amount: Math.round(amount * 100) / 100,
      currency: 'USD',
      periodStart: dateOf(fromMs),
      periodEnd: dateOf(toMs - 1),
    });
  };
  for (const plan of ALWAYS_ON) {
    const first = months[plan.fromMonth];
    if (!first) continue;
    const c: Campaign = {
      id: campaignId(plan.slug),
      slug: plan.slug,
      name: plan.name,
      channel: plan.channel,
      kind: 'always-on',
      team: null,
      fromMs: first.fromMs,
      toMs: endMs,
      contentIds: plan.contentIds,
      budget: plan.monthlyBudget,
      dayMs: first.fromMs,
    };
    register(c, first.fromMs);
    for (const m of months.slice(plan.fromMonth)) {
      const billedMs = m.toMs + 2 * DAY + 10 * HOUR;
      const amount = plan.monthlyBudget * rng.between(0.85, 1.12);
      cost(c, billedMs, amount, m.fromMs, m.toMs);
    }
  }
  months.forEach((m, k) => {
    const topic = WEBINAR_TOPICS[k % WEBINAR_TOPICS.length]!;
    const dayMs = nthWeekday(m.year, m.month, 4, 2, 17, 'EMEA');
    if (dayMs < startMs + 7 * DAY || dayMs >= endMs) return;
    const fromMs = Math.max(startMs, dayMs - 21 * DAY);
    const slug = `webinar-${m.year}-${pad(m.month + 1)}-${slugOf(topic)}`;
    const c: Campaign = {
      id: campaignId(slug),
      slug,
      name: `Webinar: ${topic}`,
      channel: 'WEBINAR',
      kind: 'webinar',
      team: null,
      fromMs,
      toMs: Math.min(endMs, dayMs + 14 * DAY),
      contentIds: [`${slug}-live`, `${slug}-on-demand`],
      budget: Math.round(rng.between(2_500, 6_000)),
      dayMs,
    };
    register(c, fromMs);
    cost(c, dayMs + 5 * DAY, c.budget, fromMs, dayMs + HOUR);
  });
  for (const plan of EVENTS) {
    const m = months[plan.month];
    if (!m) continue;
    const dayMs = nthWeekday(m.year, m.month, 2, 3, 9, plan.team);
    if (dayMs < startMs + 7 * DAY || dayMs + 2 * DAY >= endMs) continue;
    const fromMs = Math.max(startMs, dayMs - 42 * DAY);
    const slug = `event-${m.year}-${plan.slug}`;
    const c: Campaign = {
      id: campaignId(slug),
      slug,
      name: plan.name,
      channel: 'EVENT',
      kind: 'event',
      team: plan.team,
      fromMs,
      toMs: Math.min(endMs, dayMs + 30 * DAY),
      contentIds: ['booth-scan', 'talk-attendance', 'dinner-invite'],
      budget: Math.round(rng.between(35_000, 90_000)),
      dayMs,
    };
    register(c, fromMs);
    cost(c, dayMs + 12 * DAY, c.budget, dayMs, dayMs + 2 * DAY);
  }

  // Goals: the year and each quarter at their start, each month on its first day.
  const goals = (period: string, atMs: number, fromMs: number, toMs: number) => {
    const leads = expectedLeads(fromMs, toMs);
    const revenue = Math.max(1_000, Math.round((leads * REVENUE_PER_LEAD) / 1_000) * 1_000);
    const mqls = Math.round(leads * MQL_PER_LEAD);
    g.insert(atMs, REVOPS, 'setGoals', {
      period,
      revenue,
      pipeline: revenue * 3.5,
      mqls,
      sqls: Math.min(mqls, Math.round(leads * SQL_PER_LEAD)),
    });
  };
  months.forEach((m, k) => {
    const atMs = m.fromMs + (k === 0 ? MINUTE : 7 * HOUR);
    if (k === 0 || m.month === 0) {
      goals(String(m.year), atMs, m.fromMs, Date.UTC(m.year + 1, 0, 1));
    }
    if (k === 0 || m.month % 3 === 0) {
      const q = Math.floor(m.month / 3);
      goals(`${m.year}-Q${q + 1}`, atMs, m.fromMs, Date.UTC(m.year, 3 * q + 3, 1));
    }
    goals(`${m.year}-${pad(m.month + 1)}`, atMs, m.fromMs, m.toMs);
  });

  const byDay = (a: Campaign, b: Campaign) => a.dayMs - b.dayMs;
  return {
    seed,
    tag,
    startMs,
    endMs,
    campaigns,
    webinars: campaigns.filter((c) => c.kind === 'webinar').sort(byDay),
    events: campaigns.filter((c) => c.kind === 'event').sort(byDay),
    termsAt: termsFor,
    modelVersionAt: (ms) => (ms >= revisionMs ? 'fit-engagement-v4' : 'fit-engagement-v3'),
    commands: g.until(endMs),
  };
};
