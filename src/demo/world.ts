import type { LostReason } from '../domain/deal/events';
import type { RejectionReason } from '../domain/lead/events';
import type { SlaTerms } from '../domain/sla/events';
import type { Actor, Channel, Segment } from '../domain/shared/values';

/**
 * The demo company: sales teams and their reps, the marketing and revenue-operations people,
 * campaign plans, SLA terms, and the vocabulary prospects and reps use. Data only; the
 * generator turns it into a year of commands.
 */

export type Team = 'EMEA' | 'NA' | 'APAC';
export const TEAMS: readonly Team[] = ['EMEA', 'NA', 'APAC'];

/** Local office hours (fixed UTC offsets: daylight saving does not matter to the demo). */
export interface WorkingHours {
  utcOffsetHours: number;
  startHour: number;
  endHour: number;
}

export const OFFICE_HOURS: Record<Team, WorkingHours> = {
  EMEA: { utcOffsetHours: 1, startHour: 9, endHour: 18 },
  NA: { utcOffsetHours: -5, startHour: 8, endHour: 17 },
  APAC: { utcOffsetHours: 8, startHour: 9, endHour: 18 },
};

/** Share of leads by the region they come from (and the team that works them). */
export const REGION_WEIGHTS: ReadonlyArray<readonly [Team, number]> = [
  ['NA', 0.45],
  ['EMEA', 0.35],
  ['APAC', 0.2],
];

export const SEGMENT_WEIGHTS: ReadonlyArray<readonly [Segment, number]> = [
  ['SMB', 0.55],
  ['MID_MARKET', 0.3],
  ['ENTERPRISE', 0.15],
];

/** How a rep works; the multipliers are 1 for an average rep. */
export interface Rep {
  id: string;
  team: Team;
  segments: readonly Segment[];
  /** Share of the team's handoffs routed to this rep, relative to teammates. */
  routingWeight: number;
  /** Median working minutes from handoff to an answer. */
  responseMinutes: number;
  /** Chance the rep answers a handoff outside office hours (from the phone). */
  offHoursChance: number;
  rejectBias: number;
  /** Median working minutes from accepting to the first contact attempt. */
  firstAttemptMinutes: number;
  /** Median working hours between attempts. */
  attemptGapHours: number;
  /**
   * diligent: at least the SLA's attempts in its window; lax: fewer, days apart; burner: a
   * burst of attempts, then on to the next lead (the rep who burns through leads).
   */
  cadence: 'diligent' | 'lax' | 'burner';
  connectSkill: number;
  qualifySkill: number;
  winSkill: number;
}

const rep = (id: string, team: Team, segments: Segment[], traits: Partial<Rep> = {}): Rep => ({
  id,
  team,
  segments,
  routingWeight: 1,
  responseMinutes: 15,
  offHoursChance: 0.15,
  rejectBias: 1,
  firstAttemptMinutes: 40,
  attemptGapHours: 8,
  cadence: 'diligent',
  connectSkill: 1,
  qualifySkill: 1,
  winSkill: 1,
  ...traits,
});

export const REPS: readonly Rep[] = [
  rep('anna.schmidt', 'EMEA', ['MID_MARKET', 'ENTERPRISE'], { qualifySkill: 1.15, winSkill: 1.2 }),
  rep('lukas.meyer', 'EMEA', ['SMB', 'MID_MARKET']),
  rep('sofia.rossi', 'EMEA', ['SMB', 'MID_MARKET'], { responseMinutes: 8, offHoursChance: 0.3 }),
  rep('james.walker', 'EMEA', ['MID_MARKET', 'ENTERPRISE'], {
    responseMinutes: 110,
    offHoursChance: 0.02,
    firstAttemptMinutes: 200,
  }),
  rep('ines.garcia', 'EMEA', ['SMB'], { rejectBias: 1.6 }),
  rep('emily.johnson', 'NA', ['ENTERPRISE'], { qualifySkill: 1.2, winSkill: 1.35 }),
  rep('michael.brown', 'NA', ['MID_MARKET', 'ENTERPRISE']),
  rep('olivia.davis', 'NA', ['SMB', 'MID_MARKET'], { responseMinutes: 10, connectSkill: 1.15 }),
  rep('daniel.miller', 'NA', ['SMB', 'MID_MARKET'], {
    cadence: 'lax',
    responseMinutes: 45,
    firstAttemptMinutes: 300,
    attemptGapHours: 40,
  }),
  rep('chris.wilson', 'NA', ['SMB']),
  rep('tyler.brooks', 'NA', ['SMB', 'MID_MARKET'], {
    cadence: 'burner',
    routingWeight: 2.6,
    responseMinutes: 4,
    offHoursChance: 0.5,
    rejectBias: 0.1,
    firstAttemptMinutes: 5,
    attemptGapHours: 3,
    connectSkill: 0.6,
    qualifySkill: 0.25,
    winSkill: 0.4,
  }),
  rep('hiro.tanaka', 'APAC', ['MID_MARKET', 'ENTERPRISE'], { winSkill: 1.1 }),
  rep('priya.sharma', 'APAC', ['SMB', 'MID_MARKET'], { responseMinutes: 12 }),
  rep('liam.nguyen', 'APAC', ['SMB', 'MID_MARKET', 'ENTERPRISE'], { offHoursChance: 0.3 }),
];

/** Marketing automation: captures, touches, scores, MQLs and routing. */
export const AUTOMATION: Actor = { id: 'marketing-automation', roles: ['MARKETING'] };
/** Marketing operations: campaigns, costs, and what happens to leads sales sends back. */
export const MARKETING_OPS: Actor = { id: 'lena.fischer', roles: ['MARKETING'] };
/** Revenue operations: SLA agreements and goals. */
export const REVOPS: Actor = { id: 'revops.admin', roles: ['ADMIN'] };
/** Privacy requests (erasure). */
export const PRIVACY_OFFICER: Actor = { id: 'privacy.office', roles: ['ADMIN'] };

export const repActor = (r: Rep): Actor => ({ id: r.id, roles: ['SALES'] });

// ---- campaigns --------------------------------------------------------------------------------

/** A campaign that runs all year (or from a month on) and is billed monthly. */
export interface AlwaysOnPlan {
  slug: string;
  name: string;
  channel: Channel;
  fromMonth: number;
  monthlyBudget: number;
  contentIds: readonly string[];
}

export const ALWAYS_ON: readonly AlwaysOnPlan[] = [
  {
    slug: 'paid-search-brand',
    name: 'Paid search: brand',
    channel: 'PAID_SEARCH',
    fromMonth: 0,
    monthlyBudget: 9_000,
    contentIds: ['lp-demo-request', 'lp-pricing'],
  },
  {
    slug: 'paid-search-generic',
    name: 'Paid search: lead management',
    channel: 'PAID_SEARCH',
    fromMonth: 0,
    monthlyBudget: 14_000,
    contentIds: ['lp-lead-scoring-guide', 'lp-sla-template'],
  },
  {
    slug: 'paid-search-competitor',
    name: 'Paid search: competitor terms',
    channel: 'PAID_SEARCH',
    fromMonth: 3,
    monthlyBudget: 6_000,
    contentIds: ['lp-comparison'],
  },
  {
    slug: 'linkedin-abm',
    name: 'LinkedIn ABM: revenue leaders',
    channel: 'PAID_SOCIAL',
    fromMonth: 0,
    monthlyBudget: 12_000,
    contentIds: ['ad-funnel-benchmark', 'ad-roi-calculator'],
  },
  {
    slug: 'social-retargeting',
    name: 'Retargeting: site visitors',
    channel: 'PAID_SOCIAL',
    fromMonth: 0,
    monthlyBudget: 4_000,
    contentIds: ['ad-customer-story', 'ad-free-trial'],
  },
  {
    slug: 'content-syndication',
    name: 'Content syndication: alignment e-book',
    channel: 'CONTENT',
    fromMonth: 0,
    monthlyBudget: 8_000,
    contentIds: ['ebook-marketing-sales-alignment', 'report-state-of-revops'],
  },
  {
    slug: 'email-nurture',
    name: 'Email nurture tracks',
    channel: 'EMAIL',
    fromMonth: 0,
    monthlyBudget: 1_500,
    contentIds: [
      'nurture-welcome',
      'nurture-case-study',
      'nurture-benchmark',
      'nurture-roi',
      'nurture-demo-invite',
    ],
  },
  {
    slug: 'newsletter',
    name: 'Monthly newsletter',
    channel: 'EMAIL',
    fromMonth: 0,
    monthlyBudget: 800,
    contentIds: ['newsletter'],
  },
  {
    slug: 'partner-program',
    name: 'Partner referrals',
    channel: 'PARTNER',
    fromMonth: 0,
    monthlyBudget: 5_000,
    contentIds: ['partner-referral-form'],
  },
  {
    slug: 'outbound-sdr',
    name: 'Outbound SDR sequences',
    channel: 'OUTBOUND',
    fromMonth: 0,
    monthlyBudget: 18_000,
    contentIds: ['sequence-cold-intro', 'sequence-follow-up', 'sequence-breakup'],
  },
];

export const WEBINAR_TOPICS: readonly string[] = [
  'Fixing the MQL handoff',
  'Lead scoring that sales trusts',
  'SLA design for revenue teams',
  'Attribution without the arguments',
  'Pipeline reviews in 20 minutes',
  'From funnel metrics to forecast',
  'Recycling leads that went cold',
  'ABM for mid-market teams',
  'Running RevOps on events',
  'The 2-minute lead response',
  'Board-ready funnel reporting',
  'Planning next year from this year',
];

/** Trade shows: month, region, budget. */
export const EVENTS: ReadonlyArray<{ slug: string; name: string; month: number; team: Team }> = [
  { slug: 'revops-world-austin', name: 'RevOps World Austin', month: 2, team: 'NA' },
  { slug: 'pipeline-summit-london', name: 'Pipeline Summit London', month: 5, team: 'EMEA' },
  { slug: 'saas-connect-singapore', name: 'SaaS Connect Singapore', month: 8, team: 'APAC' },
  { slug: 'b2b-growth-expo-amsterdam', name: 'B2B Growth Expo Amsterdam', month: 9, team: 'EMEA' },
  { slug: 'demand-gen-live-chicago', name: 'Demand Gen Live Chicago', month: 10, team: 'NA' },
];

// ---- SLA ----------------------------------------------------------------------------------------

/** One segment's terms (null: the agreement's defaults). */
export type SegmentTerms = SlaTerms & { segment: Segment | null };

export const SLA_AGREEMENT_ID = 'default';

/** In force from the start of the year. */
export const SLA_TERMS: readonly SegmentTerms[] = [
  {
    segment: null,
    acceptWithinMinutes: 120,
    firstContactWithinMinutes: 480,
    minAttempts: 3,
    attemptWindowDays: 7,
    monthlyMqlCommitment: null,
    mqlToSqlBenchmark: 0.25,
  },
  {
    segment: 'SMB',
    acceptWithinMinutes: 60,
    firstContactWithinMinutes: 240,
    minAttempts: 4,
    attemptWindowDays: 5,
    monthlyMqlCommitment: null,
    mqlToSqlBenchmark: 0.2,
  },
  {
    segment: 'ENTERPRISE',
    acceptWithinMinutes: 240,
    firstContactWithinMinutes: 1440,
    minAttempts: 5,
    attemptWindowDays: 10,
    monthlyMqlCommitment: null,
    mqlToSqlBenchmark: 0.35,
  },
];

/** Mid-year the SMB team commits to faster answers. */
export const SLA_REVISION: SegmentTerms = {
  segment: 'SMB',
  acceptWithinMinutes: 45,
  firstContactWithinMinutes: 180,
  minAttempts: 4,
  attemptWindowDays: 5,
  monthlyMqlCommitment: null,
  mqlToSqlBenchmark: 0.2,
};

// ---- vocabulary ---------------------------------------------------------------------------------

export const FIRST_NAMES: Record<Team, readonly string[]> = {
  EMEA: ['Lea', 'Jonas', 'Marie', 'Felix', 'Chloe', 'Lucas', 'Giulia', 'Matteo', 'Emma', 'Oliver'],
  NA: ['Ashley', 'Jacob', 'Madison', 'Ethan', 'Hannah', 'Noah', 'Grace', 'Logan', 'Ava', 'Mason'],
  APAC: ['Yuki', 'Arjun', 'Mei', 'Kenji', 'Ananya', 'Wei', 'Sakura', 'Rahul', 'Jia', 'Minh'],
};

export const LAST_NAMES: Record<Team, readonly string[]> = {
  EMEA: ['Muller', 'Dubois', 'Bianchi', 'Jansen', 'Novak', 'Larsen', 'Moreau', 'Kowalski'],
  NA: ['Smith', 'Johnson', 'Williams', 'Garcia', 'Martinez', 'Anderson', 'Thomas', 'Moore'],
  APAC: ['Sato', 'Patel', 'Chen', 'Kim', 'Tan', 'Nguyen', 'Wong', 'Iyer'],
};

export const COMPANY_WORDS: readonly string[] = [
  'Northwind',
  'Bluepeak',
  'Crestline',
  'Ironbark',
  'Lumen',
  'Meridian',
  'Nimbus',
  'Orchard',
  'Pinecrest',
  'Quartz',
  'Redwood',
  'Silverline',
  'Tidewater',
  'Vantage',
  'Westbrook',
  'Zenith',
];

export const COMPANY_KINDS: readonly string[] = [
  'Logistics',
  'Health',
  'Software',
  'Analytics',
  'Energy',
  'Retail',
  'Capital',
  'Foods',
  'Robotics',
  'Media',
];

export const LEGAL_SUFFIX: Record<Team, readonly string[]> = {
  EMEA: ['GmbH', 'Ltd', 'SAS', 'BV', 'AB'],
  NA: ['Inc.', 'LLC', 'Corp.'],
  APAC: ['Pte. Ltd.', 'Pty Ltd', 'K.K.'],
};

export const REJECTION_NOTES: Partial<Record<RejectionReason, readonly string[]>> = {
  NOT_ICP: [
    'Two-person agency, far below our minimum seat count',
    'Public sector, we do not sell there',
  ],
  BAD_DATA: ['Phone number and email bounce', 'Fake company name'],
  DUPLICATE: ['Already in an open opportunity with a colleague', 'Same person as an existing lead'],
  NOT_READY: ['Researching for next fiscal year', 'Downloaded content, no project yet'],
  OTHER: [
    'Existing customer: belongs to account management',
    'Student research project',
    'Wrong territory: headquarters in another region',
  ],
};

export const LOST_REASONS: ReadonlyArray<readonly [LostReason, number]> = [
  ['NO_DECISION', 0.27],
  ['COMPETITOR', 0.25],
  ['PRICE', 0.18],
  ['TIMING', 0.12],
  ['MISSING_FEATURE', 0.1],
  ['SECURITY', 0.05],
  ['OTHER', 0.03],
];

export const COMPETITORS: ReadonlyArray<readonly [string, number]> = [
  ['Funnelcraft', 0.4],
  ['PipeWise', 0.3],
  ['LeadSpring', 0.2],
  ['In-house spreadsheet', 0.1],
];

export const PIPELINE_STAGES: readonly string[] = ['DISCOVERY', 'DEMO', 'PROPOSAL', 'NEGOTIATION'];

/** Median deal size and sales cycle (days) per segment. */
export const DEAL_SHAPE: Record<Segment, { amount: number; cycleDays: number; winRate: number }> = {
  SMB: { amount: 12_000, cycleDays: 30, winRate: 0.34 },
  MID_MARKET: { amount: 45_000, cycleDays: 60, winRate: 0.28 },
  ENTERPRISE: { amount: 160_000, cycleDays: 115, winRate: 0.22 },
};
