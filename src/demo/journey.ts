import type { LostReason } from '../domain/deal/events';
import type { ContactOutcome, RejectionReason, SlaKind } from '../domain/lead/events';
import type { Actor, Channel, Segment } from '../domain/shared/values';
import { uuidV5 } from '../eventstore/uuid';
import { breachKey, SLA_MONITOR_ACTOR } from '../processes/sla-monitor';
import { Random } from './random';
import type { Campaign, Schedule } from './schedule';
import { iso, Timeline, type TimedCommand } from './timeline';
import {
  addWorkingMinutes,
  DAY,
  isWeekend,
  isWorking,
  localDay,
  localTime,
  MINUTE,
  nextWorkingInstant,
  weekday,
} from './working-time';
import {
  AUTOMATION,
  COMPANY_KINDS,
  COMPANY_WORDS,
  COMPETITORS,
  DEAL_SHAPE,
  FIRST_NAMES,
  LAST_NAMES,
  LEGAL_SUFFIX,
  LOST_REASONS,
  MARKETING_OPS,
  OFFICE_HOURS,
  PIPELINE_STAGES,
  PRIVACY_OFFICER,
  REJECTION_NOTES,
  REPS,
  repActor,
  SEGMENT_WEIGHTS,
  type Rep,
  type Team,
  type WorkingHours,
} from './world';

/** Where a lead comes from: anywhere, or a webinar or trade show that drew it in. */
export type LeadSource = { kind: 'general' } | { kind: 'event' | 'webinar'; campaign: Campaign };

export interface LeadPlan {
  /** The lead's identity in the demo (its ids and its random sequence derive from it). */
  index: number;
  captureMs: number;
  team: Team;
  source: LeadSource;
}

/** Ids derived from the seed: the same lead gets the same ids on every run. */
const DEMO_NAMESPACE = '3b2f7a9e-58c1-4d0e-a6f4-1c9e2d7b5a30';

/** Score at which marketing automation qualifies a lead (MQL) that fits. */
const MQL_THRESHOLD = 65;
const MIN_FIT_FOR_MQL = 35;
/** Chance a recycled lead comes back to life (and becomes an MQL again, maybe). */
const REENGAGE = 0.3;

/** When prospects act, by local hour. */
const PROSPECT_HOURS: ReadonlyArray<readonly [number, number]> = [
  0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.5, 4, 4.5, 4.5, 3.5, 4, 4.5, 4.2, 3.5, 2.5, 1.8, 1.5,
  1.3, 1, 0.7, 0.4,
].map((w, hour) => [hour, w] as const);

const SOURCE_CHANNELS: ReadonlyArray<readonly [Channel, number]> = [
  ['PAID_SEARCH', 0.2],
  ['ORGANIC_SEARCH', 0.14],
  ['CONTENT', 0.13],
  ['PAID_SOCIAL', 0.12],
  ['OUTBOUND', 0.09],
  ['DIRECT', 0.07],
  ['REFERRAL', 0.06],
  ['PARTNER', 0.05],
  ['CHAT', 0.05],
  ['ORGANIC_SOCIAL', 0.05],
  ['EMAIL', 0.04],
];

/** Engagement a source brings with it (before the lead's own intent weighs it). */
const SOURCE_ENGAGEMENT: Partial<Record<Channel, number>> = {
  PAID_SEARCH: 15,
  ORGANIC_SEARCH: 12,
  CONTENT: 20,
  PAID_SOCIAL: 10,
  OUTBOUND: 0,
  DIRECT: 15,
  REFERRAL: 25,
  PARTNER: 25,
  CHAT: 30,
  ORGANIC_SOCIAL: 8,
  EMAIL: 10,
  WEBINAR: 25,
  EVENT: 22,
};

const ORGANIC_CONTENT: Partial<Record<Channel, readonly string[]>> = {
  ORGANIC_SEARCH: [
    'blog-what-is-an-mql',
    'blog-sla-examples',
    'blog-lead-scoring-model',
    'blog-funnel-metrics',
  ],
  DIRECT: ['homepage', 'contact-sales'],
  REFERRAL: ['customer-referral'],
  ORGANIC_SOCIAL: ['linkedin-post', 'founder-podcast'],
  CHAT: ['chat-pricing-question', 'chat-integration-question'],
};

type NurtureTouch =
  | 'email'
  | 'newsletter'
  | 'content'
  | 'blog'
  | 'webinar'
  | 'event'
  | 'retargeting'
  | 'search'
  | 'pricing'
  | 'social'
  | 'chat';

const TOUCH_POINTS: Record<NurtureTouch, number> = {
  email: 6,
  newsletter: 3,
  content: 10,
  blog: 5,
  webinar: 15,
  event: 15,
  retargeting: 4,
  search: 6,
  pricing: 20,
  social: 3,
  chat: 12,
};

const REASSIGN_REASONS = [
  'Account belongs to my colleague',
  'Out of office this week',
  'Better fit for a teammate who knows the industry',
];

const DISQUALIFY_REASONS = [
  'No budget and no plan to get one',
  'No decision maker reachable',
  'Uses a product we do not integrate with',
  'Company too small for our minimum seats',
];

const RECYCLE_REASONS = [
  'Timing: revisit next quarter',
  'Interested, but no project this year',
  'Evaluating again after their reorganisation',
];

const BANT = {
  budget: ['Budget approved for this fiscal year', 'Budget pending CFO sign-off', 'Has budget'],
  authority: ['Talking to the VP Sales', 'Champion with access to the CRO', 'Decision maker'],
  need: ['Handoffs get lost between teams', 'No visibility of SLA breaches', 'Attribution fights'],
  timeline: ['This quarter', 'Within 6 months', 'Before the next planning cycle'],
};

const clamp = (x: number, min: number, max: number) => Math.min(max, Math.max(min, x));

interface HandoffTrack {
  handoffId: string;
  acceptBy: number;
  firstContactBy: number;
  attemptsBy: number;
  minAttempts: number;
  answeredAt: number | null;
  acceptedAt: number | null;
  attempts: Array<{ ms: number; connected: boolean }>;
  qualifiedAt: number | null;
  /** When its SLA obligations ended (rejected, recycled, disqualified, converted). */
  closedAt: number | null;
}

/** How a sales cycle of the lead ended: back to marketing, or for good (won, lost, out). */
type SalesEnd = 'recycled' | 'closed';

type HandoffOutcome =
  { kind: 'rejected'; reason: RejectionReason; at: number } | { kind: 'worked'; end: SalesEnd };

/** Everything one lead goes through, from capture to its last deal or erasure. */
export const simulateLead = (plan: LeadPlan, schedule: Schedule): TimedCommand[] =>
  new LeadJourney(plan, schedule).run();

class LeadJourney {
  private readonly rng: Random;
  private readonly t: Timeline;
  /** The lead's region: its prospects' local time and the office of its marketing team. */
  private readonly office: WorkingHours;
  private readonly leadId: string;
  private readonly segment: Segment;
  private readonly badData: boolean;
  private readonly duplicate: boolean;
  private readonly fit: number;
  /** Propensity to buy, 0..1: engagement, reachability and conversions grow with it. */
  private readonly intent: number;
  /** Chance a contact attempt reaches the person. */
  private readonly reach: number;
  private company: string | null = null;
  private handRaiser = false;
  private engagement = 0;
  private emails = 0;
  private ids = 0;

  constructor(
    private readonly plan: LeadPlan,
    private readonly s: Schedule,
  ) {
    const rng = new Random(s.seed, 'lead', plan.index);
    this.rng = rng;
    this.t = new Timeline(`demo:${s.tag}:${plan.index}`, plan.captureMs);
    this.office = OFFICE_HOURS[plan.team];
    this.leadId = this.id('lead');
    this.segment = rng.weighted(SEGMENT_WEIGHTS);
    this.badData = rng.chance(0.04);
    this.duplicate = !this.badData && rng.chance(0.03);
    const bonus = this.segment === 'ENTERPRISE' ? 6 : this.segment === 'MID_MARKET' ? 3 : 0;
    this.fit = this.badData
      ? rng.int(3, 25)
      : Math.round(clamp(58 + bonus + 18 * rng.normal(), 5, 98));
    this.intent = rng.next() ** 1.4;
    this.reach = clamp(0.12 + 0.35 * this.intent + 0.08 * rng.normal(), 0.03, 0.6);
  }

  run(): TimedCommand[] {
    this.capture();
    for (let cycle = 0; ; cycle += 1) {
      if (!this.nurture(cycle)) break;
      const end = this.sales();
      if (end !== 'recycled' || cycle >= 2 || !this.rng.chance(REENGAGE)) break;
      // Quiet weeks in nurture before the lead shows interest again.
      this.t.now += Math.round(this.rng.between(20, 90) * DAY);
    }
    this.maybeForget();
    return this.t.until(this.s.endMs);
  }

  private id(purpose: string): string {
    this.ids += 1;
    return uuidV5(
      DEMO_NAMESPACE,
      `${this.s.seed}\u0000${this.plan.index}\u0000${purpose}:${this.ids}`,
    );
  }

  private add(ms: number, actor: Actor, type: string, input: Record<string, unknown>): void {
    this.t.add(Math.round(ms), actor, type, { leadId: this.leadId, ...input });
  }

  /** A time the prospect acts, about `gapMs` after `afterMs`, in their waking hours. */
  private prospectAt(afterMs: number, gapMs: number): number {
    const { utcOffsetHours: offset } = this.office;
    let day = localDay(afterMs + gapMs, offset);
    if (isWeekend(day) && this.rng.chance(0.8)) day += weekday(day) === 6 ? 2 : 1;
    const hour = this.rng.weighted(PROSPECT_HOURS) + this.rng.next();
    const ms = Math.round(localTime(day, hour, offset));
    return Math.max(ms, afterMs + this.rng.int(1, 30) * MINUTE);
  }

  private activeAlwaysOn(channel: Channel, ms: number): Campaign | null {
    const active = this.s.campaigns.filter(
      (c) => c.kind === 'always-on' && c.channel === channel && c.fromMs <= ms && ms < c.toMs,
    );
    return active.length === 0
      ? null
      : this.rng.weighted(active.map((c) => [c, c.budget] as const));
  }

  private touch(
    ms: number,
    channel: Channel,
    campaign: Campaign | null,
    contentId: string | null,
    options: { createsLead?: boolean; actor?: Actor; kind?: 'MARKETING' | 'SALES' } = {},
  ): void {
    this.add(ms, options.actor ?? AUTOMATION, 'recordTouch', {
      touchId: this.id('touch'),
      channel,
      campaignId: campaign?.id ?? null,
      contentId,
      kind: options.kind ?? 'MARKETING',
      createsLead: options.createsLead ?? false,
    });
  }

  private score(ms: number): void {
    this.add(ms, AUTOMATION, 'scoreLead', {
      fit: this.fit,
      engagement: Math.round(clamp(this.engagement, 0, 100)),
      modelVersion: this.s.modelVersionAt(ms),
    });
  }

  private qualify(ms: number, reason: string): void {
    this.add(ms, AUTOMATION, 'qualifyLead', { reason });
  }

  // ---- capture --------------------------------------------------------------------------------

  private capture(): void {
    const { rng, plan } = this;
    const at = plan.captureMs;
    let channel: Channel;
    let campaign: Campaign | null;
    let contentId: string | null;
    if (plan.source.kind !== 'general') {
      campaign = plan.source.campaign;
      channel = campaign.channel;
      contentId = campaign.contentIds[0] ?? null;
      this.handRaiser = plan.source.kind === 'event' && rng.chance(0.15);
    } else {
      channel = rng.weighted(SOURCE_CHANNELS);
      campaign = this.activeAlwaysOn(channel, at);
      const organic = ORGANIC_CONTENT[channel];
      contentId = campaign ? rng.pick(campaign.contentIds) : organic ? rng.pick(organic) : null;
      this.handRaiser =
        contentId === 'lp-demo-request' ||
        contentId === 'contact-sales' ||
        (channel === 'CHAT' && rng.chance(0.4)) ||
        ((channel === 'REFERRAL' || channel === 'PARTNER') && rng.chance(0.3));
    }
    this.engagement = this.handRaiser ? 70 : (SOURCE_ENGAGEMENT[channel] ?? 10);

    const team = plan.team;
    const first = rng.pick(FIRST_NAMES[team]);
    const last = rng.pick(LAST_NAMES[team]);
    const word = rng.pick(COMPANY_WORDS);
    const kind = rng.pick(COMPANY_KINDS);
    const domain = `${word}${kind}`.toLowerCase();
    const number = rng.chance(0.15) ? String(rng.int(1, 99)) : '';
    this.company =
      this.badData && rng.chance(0.5) ? null : `${word} ${kind} ${rng.pick(LEGAL_SUFFIX[team])}`;
    const email = this.badData
      ? `${rng.pick(['test', 'info', 'asdf', 'noreply'])}${rng.int(1, 999)}@mailinator.example`
      : `${first}.${last}${number}@${domain}.example`.toLowerCase();
    this.add(at, AUTOMATION, 'captureLead', {
      email,
      name: this.badData && rng.chance(0.5) ? null : `${first} ${last}`,
      company: this.company,
      segment: this.segment,
      channel,
      campaignId: campaign?.id ?? null,
    });
    if (channel === 'OUTBOUND') {
      // Prospected from a list: the first touch is the SDR sequence's opening email.
      const sequence = this.t.now + Math.round(rng.between(0.5, 3) * DAY);
      this.touch(this.prospectAt(sequence, 0), channel, campaign, 'sequence-cold-intro');
    } else {
      // The form fill (or badge scan, or chat) that created the lead.
      this.touch(at + rng.int(200, 2_000), channel, campaign, contentId, { createsLead: true });
    }
    this.score(this.t.now + rng.int(2, 20) * MINUTE);
  }

  // ---- marketing: nurture until the lead qualifies or goes cold ------------------------------

  /** Touches and scores until an MQL (true) or the lead goes cold (false). */
  private nurture(cycle: number): boolean {
    const { rng } = this;
    if (cycle === 0 && this.handRaiser && (this.fit >= 25 || rng.chance(0.5))) {
      this.qualify(this.t.now + rng.int(1, 10) * MINUTE, 'Hand-raiser: asked to talk to sales');
      return true;
    }
    const coldAfter = this.t.now + rng.between(60, 200) * DAY;
    const maxTouches = 2 + Math.round(rng.next() * 16 * (0.4 + this.intent));
    for (let n = 0; n < maxTouches; n += 1) {
      const gapDays = clamp(rng.logNormal(8 * (1.4 - this.intent), 0.8), 0.2, 60);
      const at = this.prospectAt(this.t.now, gapDays * DAY);
      if (at > coldAfter || at >= this.s.endMs) break;
      this.engagement *= 0.9 ** (gapDays / 14);
      this.engagement += this.nurtureTouch(at) * (0.5 + this.intent);
      if (!rng.chance(0.7)) continue;
      this.score(this.t.now + rng.int(2, 30) * MINUTE);
      if (this.fit >= MIN_FIT_FOR_MQL && this.engagement >= MQL_THRESHOLD) {
        const reason = `Score over threshold (fit ${this.fit}, engagement ${Math.round(clamp(this.engagement, 0, 100))})`;
        this.qualify(this.t.now + rng.int(1, 10) * MINUTE, reason);
        return true;
      }
    }
    if (this.badData && cycle === 0 && rng.chance(0.6)) {
      // Data hygiene: bounced emails and fake companies leave the database.
      const review = this.t.now + Math.round(rng.between(1, 20) * DAY);
      this.add(
        addWorkingMinutes(review, rng.between(0, 480), this.office),
        MARKETING_OPS,
        'disqualifyLead',
        {
          reason: 'Invalid contact data (bounced email, fake company)',
        },
      );
    }
    return false;
  }

  /** Records one engagement around `at` and returns its engagement points. */
  private nurtureTouch(at: number): number {
    const { rng, s } = this;
    const kind = rng.weighted<NurtureTouch>([
      ['email', 0.3],
      ['newsletter', 0.08],
      ['content', 0.12],
      ['blog', 0.1],
      ['webinar', 0.09],
      ['event', 0.04],
      ['retargeting', 0.08],
      ['search', 0.07],
      ['pricing', 0.05 + 0.1 * this.intent],
      ['social', 0.04],
      ['chat', 0.03],
    ]);
    switch (kind) {
      case 'webinar': {
        const webinar = s.webinars.find(
          (w) => w.dayMs >= at - 14 * DAY && w.dayMs <= at + 30 * DAY,
        );
        if (!webinar) break;
        if (webinar.dayMs >= at) {
          const live = webinar.dayMs + this.rng.int(0, 50) * MINUTE;
          this.touch(live, 'WEBINAR', webinar, webinar.contentIds[0] ?? null);
        } else {
          this.touch(at, 'WEBINAR', webinar, webinar.contentIds[1] ?? null);
        }
        return TOUCH_POINTS.webinar;
      }
      case 'event': {
        const event = s.events.find(
          (e) => e.team === this.plan.team && e.dayMs >= at && e.dayMs <= at + 60 * DAY,
        );
        if (!event) break;
        const { utcOffsetHours: offset } = OFFICE_HOURS[this.plan.team];
        const day = localDay(event.dayMs, offset) + this.rng.int(0, 1);
        const visit = Math.max(event.dayMs, localTime(day, this.rng.between(10, 17), offset));
        this.touch(visit, 'EVENT', event, rng.pick(event.contentIds));
        return TOUCH_POINTS.event;
      }
      case 'pricing':
        this.touch(at, 'DIRECT', null, 'pricing-page');
        return TOUCH_POINTS.pricing;
      case 'blog':
        this.touch(at, 'ORGANIC_SEARCH', null, rng.pick(ORGANIC_CONTENT.ORGANIC_SEARCH!));
        return TOUCH_POINTS.blog;
      case 'social':
        this.touch(at, 'ORGANIC_SOCIAL', null, rng.pick(ORGANIC_CONTENT.ORGANIC_SOCIAL!));
        return TOUCH_POINTS.social;
      case 'chat':
        this.touch(at, 'CHAT', null, rng.pick(ORGANIC_CONTENT.CHAT!));
        return TOUCH_POINTS.chat;
      case 'content':
      case 'retargeting':
      case 'search':
      case 'newsletter': {
        const channel: Channel =
          kind === 'content'
            ? 'CONTENT'
            : kind === 'retargeting'
              ? 'PAID_SOCIAL'
              : kind === 'search'
                ? 'PAID_SEARCH'
                : 'EMAIL';
        const campaign =
          kind === 'newsletter'
            ? (s.campaigns.find((c) => c.slug === 'newsletter') ?? null)
            : this.activeAlwaysOn(channel, at);
        if (!campaign) break;
        this.touch(at, channel, campaign, rng.pick(campaign.contentIds));
        return TOUCH_POINTS[kind];
      }
      case 'email':
        break;
    }
    // The nurture track's next email, clicked.
    const nurture = s.campaigns.find((c) => c.slug === 'email-nurture') ?? null;
    const content = nurture?.contentIds[Math.min(this.emails, nurture.contentIds.length - 1)];
    this.emails += 1;
    this.touch(at, 'EMAIL', nurture, content ?? null);
    return TOUCH_POINTS.email;
  }

  // ---- sales: handoffs, answers, attempts, SQL, deal -----------------------------------------

  /** One MQL's way through sales; a rejected handoff may be routed to another rep. */
  private sales(): SalesEnd {
    const { rng } = this;
    const excluded = new Set<string>();
    // Routing rules hand leads over when the team is at work, not in its last office hour;
    // hand-raisers go at once.
    const routed = this.t.now + rng.int(1, 15) * MINUTE;
    const routingHours = { ...this.office, endHour: this.office.endHour - 1 };
    let at =
      this.handRaiser || rng.chance(0.08) ? routed : nextWorkingInstant(routed, routingHours);
    let router: Actor = AUTOMATION;
    for (let round = 0; ; round += 1) {
      const rep = this.route(excluded);
      const outcome = this.handoff(rep, at, router);
      if (outcome.kind === 'worked') return outcome.end;
      excluded.add(rep.id);
      // Marketing operations reviews what sales sent back, in its office hours.
      const review = addWorkingMinutes(outcome.at, rng.logNormal(600, 0.7), this.office);
      switch (outcome.reason) {
        case 'BAD_DATA':
          this.add(review, MARKETING_OPS, 'disqualifyLead', { reason: 'Invalid contact data' });
          return 'closed';
        case 'DUPLICATE':
          this.add(review, MARKETING_OPS, 'disqualifyLead', {
            reason: 'Duplicate of another lead',
          });
          return 'closed';
        case 'NOT_ICP':
          if (rng.chance(0.6)) {
            this.add(review, MARKETING_OPS, 'disqualifyLead', {
              reason: 'Outside ICP (sales feedback)',
            });
            return 'closed';
          }
          break;
        case 'OTHER':
          if (round < 2 && rng.chance(0.7)) {
            at = review;
            router = MARKETING_OPS;
            continue;
          }
          break;
        case 'NOT_READY':
          break;
      }
      this.add(review, MARKETING_OPS, 'recycleLead', {
        reason: `Sent back by sales: ${outcome.reason}`,
      });
      return 'recycled';
    }
  }

  private route(excluded: ReadonlySet<string>): Rep {
    const fits = REPS.filter((r) => r.team === this.plan.team && r.segments.includes(this.segment));
    const open = fits.filter((r) => !excluded.has(r.id));
    const pool = open.length > 0 ? open : fits;
    return this.rng.weighted(pool.map((r) => [r, r.routingWeight] as const));
  }

  /** When a rep gets to a handoff sent at `ms`. */
  private respond(rep: Rep, ms: number): number {
    const { rng } = this;
    const hours = OFFICE_HOURS[rep.team];
    if (!isWorking(ms, hours) && rng.chance(rep.offHoursChance)) {
      return ms + Math.round(Math.max(1, rng.logNormal(40, 0.8)) * MINUTE);
    }
    // Now and then the inbox waits: a day of meetings, a sick day.
    const minutes = rng.logNormal(rep.responseMinutes, 0.7) * (rng.chance(0.06) ? 6 : 1);
    return addWorkingMinutes(ms, Math.max(1, minutes), hours);
  }

  private rejection(rep: Rep): RejectionReason | null {
    const [reason, p]: [RejectionReason, number] = this.badData
      ? ['BAD_DATA', 0.85]
      : this.duplicate
        ? ['DUPLICATE', 0.8]
        : this.fit < 30
          ? ['NOT_ICP', 0.6]
          : this.fit < 45
            ? ['NOT_ICP', 0.25]
            : this.intent < 0.25
              ? ['NOT_READY', 0.3]
              : ['OTHER', 0.05];
    return this.rng.chance(clamp(p * rep.rejectBias, 0, 0.95)) ? reason : null;
  }

  private handoff(rep: Rep, at: number, router: Actor): HandoffOutcome {
    const { rng } = this;
    const handoffId = this.id('handoff');
    const terms = this.s.termsAt(this.segment, at);
    this.add(at, router, 'handOffLead', {
      handoffId,
      repId: rep.id,
      team: rep.team,
      agreementId: null,
    });
    const h: HandoffTrack = {
      handoffId,
      acceptBy: at + terms.acceptWithinMinutes * MINUTE,
      firstContactBy: at + terms.firstContactWithinMinutes * MINUTE,
      attemptsBy: at + terms.attemptWindowDays * DAY,
      minAttempts: terms.minAttempts,
      answeredAt: null,
      acceptedAt: null,
      attempts: [],
      qualifiedAt: null,
      closedAt: null,
    };
    let owner = rep;
    let answerAt = this.respond(rep, at);
    if (rep.cadence !== 'burner' && rng.chance(0.035)) {
      const teammates = REPS.filter(
        (r) => r.team === rep.team && r.id !== rep.id && r.segments.includes(this.segment),
      );
      if (teammates.length > 0) {
        owner = rng.pick(teammates);
        this.add(answerAt, repActor(rep), 'reassignLead', {
          toRepId: owner.id,
          reason: rng.pick(REASSIGN_REASONS),
        });
        answerAt = this.respond(owner, answerAt);
      }
    }
    h.answeredAt = Math.round(answerAt);
    const reason = this.rejection(owner);
    if (reason) {
      const notes = REJECTION_NOTES[reason] ?? [];
      const note = reason === 'OTHER' || rng.chance(0.5) ? rng.pick(notes) : null;
      this.add(answerAt, repActor(owner), 'rejectHandoff', { handoffId, reason, note });
      h.closedAt = h.answeredAt;
      this.breaches(h);
      return { kind: 'rejected', reason, at: this.t.now };
    }
    this.add(answerAt, repActor(owner), 'acceptHandoff', { handoffId });
    h.acceptedAt = h.answeredAt;
    const end = this.work(owner, h);
    this.breaches(h);
    return { kind: 'worked', end };
  }

  /** The rep works an accepted lead: attempts until someone answers, then qualifies or not. */
  private work(rep: Rep, h: HandoffTrack): SalesEnd {
    const { rng } = this;
    const hours = OFFICE_HOURS[rep.team];
    const actor = repActor(rep);
    // A diligent rep plans the SLA's cadence (a busy week may cost one attempt).
    const planned =
      rep.cadence === 'burner'
        ? rng.int(8, 15)
        : rep.cadence === 'lax'
          ? rng.int(1, Math.max(1, h.minAttempts - 1))
          : Math.max(1, h.minAttempts + rng.int(0, 2) - (rng.chance(0.12) ? 1 : 0));
    // Good reps call right after accepting; otherwise the first attempt waits for a free slot.
    let at =
      rep.cadence === 'diligent' && rng.chance(0.45)
        ? addWorkingMinutes(h.acceptedAt!, rng.between(2, 10), hours)
        : addWorkingMinutes(
            h.acceptedAt!,
            Math.max(2, rng.logNormal(rep.firstAttemptMinutes, 0.8)),
            hours,
          );
    let outcome: ContactOutcome = 'NO_ANSWER';
    for (let n = 1; n <= planned; n += 1) {
      const connected = rng.chance(clamp(this.reach * rep.connectSkill, 0, 0.9));
      outcome = connected
        ? rng.chance(0.4)
          ? 'MEETING_BOOKED'
          : 'CONNECTED'
        : rng.chance(0.35)
          ? 'LEFT_MESSAGE'
          : 'NO_ANSWER';
      const channel = rng.weighted([
        ['CALL', 0.6],
        ['EMAIL', 0.3],
        ['SOCIAL', 0.1],
      ] as const);
      this.add(at, actor, 'logContactAttempt', { channel, outcome });
      h.attempts.push({ ms: this.t.now, connected });
      if (connected) break;
      if (n < planned) {
        at = addWorkingMinutes(
          this.t.now,
          Math.max(10, rng.logNormal(rep.attemptGapHours * 60, 0.6)),
          hours,
        );
      }
    }
    if (outcome !== 'CONNECTED' && outcome !== 'MEETING_BOOKED') {
      const wait =
        rep.cadence === 'burner'
          ? rng.between(10, 90)
          : rng.logNormal(rep.cadence === 'lax' ? 2_700 : 900, 0.5);
      this.add(addWorkingMinutes(this.t.now, wait, hours), actor, 'recycleLead', {
        reason: `No response after ${planned} attempts`,
      });
      h.closedAt = this.t.now;
      return 'recycled';
    }
    if (outcome === 'MEETING_BOOKED') {
      const meeting = addWorkingMinutes(this.t.now, rng.between(1, 6) * 540, hours);
      this.add(meeting, actor, 'logContactAttempt', { channel: 'MEETING', outcome: 'CONNECTED' });
      h.attempts.push({ ms: this.t.now, connected: true });
    }
    const decided = addWorkingMinutes(this.t.now, rng.logNormal(120, 1), hours);
    const doubtful = this.badData || this.duplicate ? 0.1 : 1;
    const pSql = (this.fit / 100) * (0.45 + this.intent) * rep.qualifySkill * doubtful;
    if (rng.chance(clamp(pSql, 0, 0.95))) {
      this.add(decided, actor, 'qualifyForSales', {
        budget: rng.pick(BANT.budget),
        authority: rng.pick(BANT.authority),
        need: rng.pick(BANT.need),
        timeline: rng.pick(BANT.timeline),
      });
      h.qualifiedAt = this.t.now;
      return this.opportunity(rep, h);
    }
    if (rng.chance(0.4)) {
      this.add(decided, actor, 'disqualifyLead', { reason: rng.pick(DISQUALIFY_REASONS) });
      h.closedAt = this.t.now;
      return 'closed';
    }
    this.add(decided, actor, 'recycleLead', { reason: rng.pick(RECYCLE_REASONS) });
    h.closedAt = this.t.now;
    return 'recycled';
  }

  /** An SQL: most become a deal, which runs through its stages to a win or a loss. */
  private opportunity(rep: Rep, h: HandoffTrack): SalesEnd {
    const { rng } = this;
    const hours = OFFICE_HOURS[rep.team];
    const actor = repActor(rep);
    if (!rng.chance(rep.cadence === 'burner' ? 0.45 : 0.8)) {
      const at = addWorkingMinutes(this.t.now, rng.between(3, 20) * 540, hours);
      if (rng.chance(0.5)) {
        this.add(at, actor, 'disqualifyLead', { reason: 'Budget frozen after qualification' });
        h.closedAt = this.t.now;
        return 'closed';
      }
      this.add(at, actor, 'recycleLead', { reason: 'Project postponed to next year' });
      h.closedAt = this.t.now;
      return 'recycled';
    }
    const shape = DEAL_SHAPE[this.segment];
    const dealId = this.id('deal');
    let amount = Math.max(1_000, Math.round(rng.logNormal(shape.amount, 0.45) / 100) * 100);
    const openAt = addWorkingMinutes(this.t.now, Math.max(30, rng.logNormal(2 * 540, 0.8)), hours);
    this.t.add(Math.round(openAt), actor, 'openDeal', {
      dealId,
      leadIds: [this.leadId],
      account: this.company ?? `Account ${this.leadId.slice(0, 8)}`,
      amount,
      currency: 'USD',
      ownerRepId: rep.id,
    });
    h.closedAt = this.t.now;

    const cycleMs = rng.logNormal(shape.cycleDays, 0.45) * DAY;
    const winRate = shape.winRate * rep.winSkill * (0.55 + 0.9 * this.intent);
    const won = rng.chance(clamp(winRate, 0, 0.9));
    const reached = won ? PIPELINE_STAGES.length : rng.int(1, PIPELINE_STAGES.length);
    const steps: Array<{ ms: number; step: (ms: number) => void }> = [];
    const deal = (ms: number, type: string, input: Record<string, unknown>) =>
      this.t.add(Math.round(ms), actor, type, { dealId, ...input });
    [0.01, 0.2, 0.45, 0.7].slice(0, reached).forEach((share, i) => {
      steps.push({
        ms: openAt + share * cycleMs,
        step: (ms) => deal(ms, 'changeDealStage', { stage: PIPELINE_STAGES[i] }),
      });
    });
    if (reached >= 2) {
      // The demo call, recorded by the rep as a sales touch.
      steps.push({
        ms: openAt + 0.22 * cycleMs,
        step: (ms) => this.touch(ms, 'OUTBOUND', null, 'product-demo', { actor, kind: 'SALES' }),
      });
    }
    if (reached >= 3 && rng.chance(0.35)) {
      steps.push({
        ms: openAt + 0.5 * cycleMs,
        step: (ms) => {
          const changed = Math.max(
            1_000,
            Math.round((amount * rng.between(0.8, 1.25)) / 100) * 100,
          );
          if (changed === amount) return;
          const reason = changed > amount ? 'Added seats' : 'Multi-year discount';
          amount = changed;
          deal(ms, 'changeDealAmount', { amount, currency: null, reason });
        },
      });
    }
    const nurtureTouches = rng.chance(0.45) ? rng.int(1, 2) : 0;
    for (let i = 0; i < nurtureTouches; i += 1) {
      steps.push({
        ms: openAt + rng.between(0.1, 0.9) * cycleMs,
        step: (ms) => {
          this.engagement += this.nurtureTouch(this.prospectAt(ms, 0));
        },
      });
    }
    steps.sort((a, b) => a.ms - b.ms);
    for (const { ms, step } of steps) step(Math.max(this.t.now, nextWorkingInstant(ms, hours)));

    const closeAt = Math.max(this.t.now, nextWorkingInstant(openAt + cycleMs, hours));
    if (won) {
      deal(closeAt, 'winDeal', { amount: null });
      return 'closed';
    }
    this.lose(closeAt, deal);
    if (rng.chance(0.07)) {
      const reopenAt = addWorkingMinutes(this.t.now, rng.between(30, 90) * 540, hours);
      deal(reopenAt, 'reopenDeal', { reason: 'Champion came back with budget' });
      const finalAt = addWorkingMinutes(this.t.now, rng.between(15, 60) * 540, hours);
      if (rng.chance(0.5)) deal(finalAt, 'winDeal', { amount: null });
      else this.lose(finalAt, deal);
      return 'closed';
    }
    if (rng.chance(0.35)) {
      const review = addWorkingMinutes(this.t.now, rng.between(3, 14) * 540, this.office);
      this.add(review, MARKETING_OPS, 'recycleLead', { reason: 'Closed-lost: back to nurture' });
      return 'recycled';
    }
    return 'closed';
  }

  private lose(
    ms: number,
    deal: (ms: number, type: string, input: Record<string, unknown>) => void,
  ) {
    const reason: LostReason = this.rng.weighted(LOST_REASONS);
    const competitor =
      reason === 'COMPETITOR' || this.rng.chance(0.1) ? this.rng.weighted(COMPETITORS) : null;
    deal(ms, 'loseDeal', { reason, competitor });
  }

  // ---- the SLA monitor's view ----------------------------------------------------------------

  /**
   * The breaches the SLA monitor records for this handoff: a deadline passed without the
   * answer or contact it asks for. The monitor ticks every few seconds, so it notices a
   * deadline a moment after it passes, and a contact deadline only once the handoff is accepted
   * (before that the read model keeps it waiting).
   */
  private breaches(h: HandoffTrack): void {
    const tick = () => this.rng.int(200, 5_000);
    const record = (kind: SlaKind, deadlineMs: number, detectedMs: number) => {
      const deadline = iso(deadlineMs);
      const due = { leadId: this.leadId, handoffId: h.handoffId, kind, deadline };
      this.t.insert(
        detectedMs,
        SLA_MONITOR_ACTOR,
        'recordSlaBreach',
        { ...due, detectedAt: iso(detectedMs) },
        breachKey(due),
      );
    };
    const detectedAccept = h.acceptBy + tick();
    if (h.answeredAt !== null && h.answeredAt > detectedAccept) {
      record('ACCEPTANCE', h.acceptBy, detectedAccept);
    }
    if (h.acceptedAt === null) return;
    const closedBy = (ms: number) => h.closedAt !== null && h.closedAt <= ms;
    const qualifiedBy = (ms: number) => h.qualifiedAt !== null && h.qualifiedAt <= ms;
    const contacted = h.attempts.some((a) => a.ms <= h.firstContactBy);
    if (!contacted && !qualifiedBy(h.firstContactBy) && !closedBy(h.firstContactBy)) {
      record('FIRST_CONTACT', h.firstContactBy, Math.max(h.firstContactBy, h.acceptedAt) + tick());
    }
    const inWindow = h.attempts.filter((a) => a.ms <= h.attemptsBy);
    const cadenceMet =
      inWindow.length >= h.minAttempts ||
      inWindow.some((a) => a.connected) ||
      qualifiedBy(h.attemptsBy);
    if (!cadenceMet && !closedBy(h.attemptsBy)) {
      record('ATTEMPTS', h.attemptsBy, Math.max(h.attemptsBy, h.acceptedAt) + tick());
    }
  }

  /** A few people ask to be forgotten (more in Europe), after everything else happened. */
  private maybeForget(): void {
    if (!this.rng.chance(this.plan.team === 'EMEA' ? 0.01 : 0.002)) return;
    const at = this.t.last() + Math.round(this.rng.between(20, 120) * DAY);
    this.add(at, PRIVACY_OFFICER, 'forgetLead', { reason: 'Erasure request (GDPR Art. 17)' });
  }
}
