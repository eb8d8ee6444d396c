import { CAMPAIGN_EVENTS } from '../../src/domain/campaign/events';
import { DEAL_EVENTS, type DealLost } from '../../src/domain/deal/events';
import { GOALS_EVENTS, type GoalsSet } from '../../src/domain/goals/events';
import { periodBounds } from '../../src/domain/goals/period';
import { LEAD_EVENTS, type LeadCaptured, type RejectionReason } from '../../src/domain/lead/events';
import type { Projection, ProjectionEvent } from '../../src/projections/projection';
import { canonical, MemoryReadModel, positionOf } from './harness';

/**
 * Builders of the events the analytics read models (campaigns, repActivity, lostReasons,
 * goals) fold, each checked against its schema. Instants are `day` + time of day, UTC.
 */

export const at = (day: string, time = '09:00'): string => `${day}T${time}:00.000Z`;

export interface Draft {
  type: string;
  at: string;
  streamId: string;
  data: unknown;
}

const SCHEMAS: Record<string, { parse(data: unknown): unknown }> = {
  ...LEAD_EVENTS,
  ...DEAL_EVENTS,
  ...CAMPAIGN_EVENTS,
  ...GOALS_EVENTS,
};

const draft = (type: string, when: string, streamId: string, data: unknown): Draft => ({
  type,
  at: when,
  streamId,
  data: SCHEMAS[type]!.parse(data),
});

/**
 * The drafts in log order as listed, positions following `after` (events of a history this one
 * continues); revisions per stream.
 */
export const history = (
  drafts: readonly Draft[],
  after: readonly ProjectionEvent[] = [],
): ProjectionEvent[] => {
  const revisions = new Map<string, number>();
  for (const e of after) revisions.set(e.streamId, e.revision + 1);
  return drafts.map((d, i) => {
    const revision = revisions.get(d.streamId) ?? 0;
    revisions.set(d.streamId, revision + 1);
    return {
      type: d.type,
      data: d.data,
      streamId: d.streamId,
      revision,
      position: positionOf(after.length + i),
      occurredAt: d.at,
      recordedAt: d.at,
      actorId: 'tester',
    };
  });
};

const leadEvent = <D extends { leadId: string }>(type: string, when: string, data: D) =>
  draft(type, when, `lead-${data.leadId}`, data);
const dealEvent = <D extends { dealId: string }>(type: string, when: string, data: D) =>
  draft(type, when, `deal-${data.dealId}`, data);

export const captured = (
  leadId: string,
  when: string,
  source: Partial<Pick<LeadCaptured, 'segment' | 'channel' | 'campaignId'>> = {},
): Draft =>
  leadEvent('LeadCaptured', when, {
    leadId,
    email: `${leadId.toLowerCase()}@example.com`,
    name: null,
    company: null,
    segment: 'SMB',
    channel: 'WEBINAR',
    campaignId: null,
    ...source,
  });

export const mql = (leadId: string, when: string, requalified = false): Draft =>
  leadEvent('LeadMarketingQualified', when, { leadId, reason: null, requalified });

export const handedOff = (
  leadId: string,
  handoffId: string,
  repId: string,
  team: string | null,
  when: string,
): Draft =>
  leadEvent('LeadHandedOff', when, {
    leadId,
    handoffId,
    repId,
    team,
    agreementId: 'builtin',
    agreementVersion: 0,
    acceptBy: when,
    firstContactBy: when,
    minAttempts: 3,
    attemptsBy: when,
    touchSummary: { count: 0, first: null, last: null },
  });

export const accepted = (leadId: string, handoffId: string, repId: string, when: string): Draft =>
  leadEvent('HandoffAccepted', when, {
    leadId,
    handoffId,
    repId,
    minutesToAccept: 10,
    withinSla: true,
  });

export const rejected = (
  leadId: string,
  handoffId: string,
  repId: string,
  reason: RejectionReason,
  when: string,
): Draft => leadEvent('HandoffRejected', when, { leadId, handoffId, repId, reason, note: null });

export const recycled = (leadId: string, when: string): Draft =>
  leadEvent('LeadRecycled', when, {
    leadId,
    reason: 'not now',
    fromStage: 'HANDED_OFF',
    ownerRepId: null,
  });

export const reassigned = (
  leadId: string,
  handoffId: string,
  fromRepId: string,
  toRepId: string,
  when: string,
): Draft =>
  leadEvent('LeadReassigned', when, { leadId, handoffId, fromRepId, toRepId, reason: null });

export const attempt = (
  leadId: string,
  handoffId: string,
  repId: string,
  attemptNo: number,
  when: string,
): Draft =>
  leadEvent('ContactAttemptLogged', when, {
    leadId,
    handoffId,
    repId,
    attemptNo,
    channel: 'CALL',
    outcome: 'NO_ANSWER',
  });

export const sql = (leadId: string, handoffId: string, repId: string, when: string): Draft =>
  leadEvent('LeadSalesQualified', when, {
    leadId,
    handoffId,
    repId,
    budget: null,
    authority: null,
    need: null,
    timeline: null,
  });

export interface DealTerms {
  amount?: number;
  currency?: string;
  ownerRepId?: string;
}

const terms = (t: DealTerms) => ({
  amount: t.amount ?? 1000,
  currency: t.currency ?? 'EUR',
  ownerRepId: t.ownerRepId ?? 'rex',
});

export const opened = (dealId: string, leadIds: string[], when: string, t: DealTerms = {}) =>
  dealEvent('DealOpened', when, { dealId, leadIds, account: 'Acme', ...terms(t) });

export const won = (dealId: string, leadIds: string[], when: string, t: DealTerms = {}) =>
  dealEvent('DealWon', when, { dealId, leadIds, ...terms(t) });

export const lost = (
  dealId: string,
  leadIds: string[],
  when: string,
  reason: DealLost['reason'],
  competitor: string | null = null,
  t: DealTerms = {},
) => dealEvent('DealLost', when, { dealId, leadIds, reason, competitor, ...terms(t) });

export const reopened = (dealId: string, when: string, fromStatus: 'WON' | 'LOST') =>
  dealEvent('DealReopened', when, { dealId, fromStatus, reason: null });

export const registered = (campaignId: string, name: string, channel: string, when: string) =>
  draft('CampaignRegistered', when, `campaign-${campaignId}`, { campaignId, name, channel });

export const cost = (
  campaignId: string,
  amount: number,
  currency: string,
  periodStart: string,
  periodEnd: string,
  when = at(periodStart),
) =>
  draft('CampaignCostRecorded', when, `campaign-${campaignId}`, {
    campaignId,
    amount,
    currency,
    periodStart,
    periodEnd,
  });

export const goalsSet = (
  period: string,
  when: string,
  targets: Partial<Pick<GoalsSet, 'pipeline' | 'mqls' | 'sqls'>> & { revenue: number },
) =>
  draft('GoalsSet', when, `goal-${period}`, {
    period,
    ...periodBounds(period),
    pipeline: null,
    mqls: null,
    sqls: null,
    ...targets,
  });

/**
 * Folds `events` in batches of 1, 3 and all at once (the harness checks each coalesced batch
 * against event-by-event application): every collection must come out identical.
 */
export const expectSameDocumentsAnyBatching = (
  projection: Projection,
  events: readonly ProjectionEvent[],
): void => {
  const fold = (size: number) => {
    const model = new MemoryReadModel(projection).apply(events, size);
    return Object.fromEntries(projection.collections.map((c) => [c.name, model.all(c.name)]));
  };
  const one = canonical(fold(1));
  expect(canonical(fold(3))).toBe(one);
  expect(canonical(fold(events.length))).toBe(one);
};

/**
 * Two campaigns through July 2026:
 * - cmp-a (cost 3100 EUR over July): A1 (MQL, handed off, accepted, SQL) and A2 (MQL, rejected
 *   twice, recycled, MQL again).
 * - cmp-b (cost 900 EUR over 2026-06-29..07-07): B1 (MQL, handed off, accepted, SQL).
 * - N1 has no campaign.
 * Deals: D1 [A1, B1] 1000.01 EUR won 07-10; D2 [A1, N1] 900 USD won 07-08; D3 [B1] lost
 * 07-09 (COMPETITOR), reopened, lost 07-20 (PRICE); D4 [A1] 500 EUR won 07-15, reopened.
 */
export const CAMPAIGN_HISTORY: ProjectionEvent[] = history([
  registered('cmp-a', 'Summer webinar', 'WEBINAR', at('2026-06-01')),
  registered('cmp-b', 'Search Q3', 'PAID_SEARCH', at('2026-06-01')),
  cost('cmp-a', 3100, 'EUR', '2026-07-01', '2026-07-31'),
  cost('cmp-b', 900, 'EUR', '2026-06-29', '2026-07-07'),
  captured('A1', at('2026-07-01'), { campaignId: 'cmp-a' }),
  captured('A2', at('2026-07-01'), { campaignId: 'cmp-a' }),
  mql('A1', at('2026-07-01', '10:00')),
  mql('A2', at('2026-07-01', '10:30')),
  handedOff('A1', 'H1', 'rex', 'EMEA', at('2026-07-01', '11:00')),
  handedOff('A2', 'H2', 'ora', 'EMEA', at('2026-07-01', '11:30')),
  accepted('A1', 'H1', 'rex', at('2026-07-01', '12:00')),
  captured('B1', at('2026-07-02'), { campaignId: 'cmp-b', channel: 'PAID_SEARCH' }),
  captured('N1', at('2026-07-02'), { channel: 'DIRECT' }),
  sql('A1', 'H1', 'rex', at('2026-07-02')),
  rejected('A2', 'H2', 'ora', 'NOT_ICP', at('2026-07-02', '10:00')),
  handedOff('A2', 'H2b', 'ula', 'NA', at('2026-07-02', '10:30')),
  rejected('A2', 'H2b', 'ula', 'BAD_DATA', at('2026-07-02', '11:00')),
  mql('B1', at('2026-07-02', '10:00')),
  handedOff('B1', 'H3', 'rex', 'EMEA', at('2026-07-02', '11:00')),
  accepted('B1', 'H3', 'rex', at('2026-07-02', '12:00')),
  recycled('A2', at('2026-07-03')),
  sql('B1', 'H3', 'rex', at('2026-07-03')),
  mql('A2', at('2026-07-04'), true),
  opened('D1', ['A1', 'B1'], at('2026-07-05'), { amount: 1000.01 }),
  opened('D2', ['A1', 'N1'], at('2026-07-06'), { amount: 900, currency: 'USD' }),
  opened('D3', ['B1'], at('2026-07-06'), { amount: 300 }),
  opened('D4', ['A1'], at('2026-07-07'), { amount: 500 }),
  won('D2', ['A1', 'N1'], at('2026-07-08'), { amount: 900, currency: 'USD' }),
  lost('D3', ['B1'], at('2026-07-09'), 'COMPETITOR', 'Rival', { amount: 300 }),
  won('D1', ['A1', 'B1'], at('2026-07-10'), { amount: 1000.01 }),
  reopened('D3', at('2026-07-12'), 'LOST'),
  won('D4', ['A1'], at('2026-07-15'), { amount: 500 }),
  reopened('D4', at('2026-07-16'), 'WON'),
  lost('D3', ['B1'], at('2026-07-20'), 'PRICE', null, { amount: 300 }),
]);

/** Seven reps in August 2026: p1..p6 in EMEA, p7 in NA (see `repDrafts`). */
export const REPS = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7'];

/**
 * Each rep gets two leads on 08-03 (p7 one), accepts them within 30 minutes and calls each
 * lead once an hour later: p6 calls ten times per lead, two hours later, and wins nothing.
 * p1..p5 and p7 each win one 1000 EUR deal on 08-10; p2 also wins a 500 USD deal; p1 wins
 * one more on 08-11 that is reopened on 08-12.
 */
export const repDrafts = (): Draft[] => {
  const drafts: Draft[] = [];
  for (const rep of REPS) {
    const team = rep === 'p7' ? 'NA' : 'EMEA';
    const leads = rep === 'p7' ? [`${rep}-L1`] : [`${rep}-L1`, `${rep}-L2`];
    const calls = rep === 'p6' ? 10 : rep === 'p7' ? 2 : 1;
    for (const lead of leads) {
      const handoff = `${lead}-H`;
      drafts.push(
        handedOff(lead, handoff, rep, team, at('2026-08-03', '10:00')),
        accepted(lead, handoff, rep, at('2026-08-03', '10:30')),
      );
      for (let n = 1; n <= calls; n++) {
        const time = `${rep === 'p6' ? 12 : 11}:${String(n - 1).padStart(2, '0')}`;
        drafts.push(attempt(lead, handoff, rep, n, at('2026-08-03', time)));
      }
    }
    if (rep !== 'p6') {
      drafts.push(won(`${rep}-D`, [leads[0]!], at('2026-08-10'), { ownerRepId: rep }));
    }
  }
  drafts.push(
    won('p2-DX', ['p2-L2'], at('2026-08-10'), { ownerRepId: 'p2', amount: 500, currency: 'USD' }),
    won('p1-DX', ['p1-L2'], at('2026-08-11'), { ownerRepId: 'p1' }),
    reopened('p1-DX', at('2026-08-12'), 'WON'),
  );
  return drafts;
};

/**
 * Lost deals in July and August 2026 (2026-07-06 and 07-13 are Mondays): S1 is SMB, E1
 * ENTERPRISE, M1 MID_MARKET; `ghost` was never captured.
 * - D1 [S1] PRICE (Rival) 07-06, 1000 EUR; D2 [E1, S1] PRICE 07-07, 2000 USD;
 * - D3 [S1] COMPETITOR (Rival) 07-13, 500 EUR; D4 [S1] COMPETITOR (Other Co.) 07-14, 700 EUR;
 * - D5 [M1] TIMING 07-08, reopened 07-10 and won; D6 [M1] NO_DECISION 07-09, reopened 07-10,
 *   lost again 08-03 (PRICE, 300 EUR); D7 [ghost] OTHER 07-31, 100 EUR.
 */
export const LOST_HISTORY: ProjectionEvent[] = history([
  captured('S1', at('2026-06-01'), { segment: 'SMB' }),
  captured('E1', at('2026-06-01'), { segment: 'ENTERPRISE' }),
  captured('M1', at('2026-06-01'), { segment: 'MID_MARKET' }),
  lost('D1', ['S1'], at('2026-07-06'), 'PRICE', 'Rival', { amount: 1000 }),
  lost('D2', ['E1', 'S1'], at('2026-07-07'), 'PRICE', null, { amount: 2000, currency: 'USD' }),
  lost('D5', ['M1'], at('2026-07-08'), 'TIMING', null, { amount: 400 }),
  lost('D6', ['M1'], at('2026-07-09'), 'NO_DECISION', 'Rival', { amount: 300 }),
  reopened('D5', at('2026-07-10'), 'LOST'),
  reopened('D6', at('2026-07-10'), 'LOST'),
  won('D5', ['M1'], at('2026-07-11'), { amount: 400 }),
  lost('D3', ['S1'], at('2026-07-13'), 'COMPETITOR', 'Rival', { amount: 500 }),
  lost('D4', ['S1'], at('2026-07-14'), 'COMPETITOR', 'Other Co.', { amount: 700 }),
  lost('D7', ['ghost'], at('2026-07-31'), 'OTHER', null, { amount: 100 }),
  lost('D6', ['M1'], at('2026-08-03'), 'PRICE', null, { amount: 300 }),
]);

/**
 * Goals for 2026-Q3 (set twice: the later targets hold) and 2026-07, 2027-01, and the funnel
 * around them (all EUR unless said):
 * - before Q3: G1..G10 MQL in June, G1..G6 accepted, G1..G4 SQL; W1 1000 won 06-10, W2 3000
 *   won 06-12;
 * - in Q3: Q1..Q5 MQL 07-02 and G7 MQL again (requalified: not a new MQL), Q1..Q3 accepted,
 *   Q1, Q2 SQL; W3 2000 won 07-10; W4 4000 won 07-20, reopened 07-25; W5 5000 opened 08-10;
 *   W6 1000 opened 08-17, won 08-20;
 * - December: X1 1000 EUR and X2 1500 USD won.
 */
export const GOALS_HISTORY: ProjectionEvent[] = history([
  goalsSet('2026-Q3', at('2026-06-20'), { revenue: 10000 }),
  goalsSet('2026-07', at('2026-06-20'), { revenue: 3000, mqls: 4 }),
  goalsSet('2026-Q3', at('2026-06-25'), { revenue: 12000, pipeline: 30000, mqls: 40, sqls: 10 }),
  goalsSet('2027-01', at('2026-12-20'), { revenue: 5000 }),
  ...Array.from({ length: 10 }, (_, i) => mql(`G${i + 1}`, at(`2026-06-0${(i % 9) + 1}`))),
  ...Array.from({ length: 6 }, (_, i) =>
    accepted(`G${i + 1}`, `GH${i + 1}`, 'rex', at(`2026-06-1${i}`)),
  ),
  ...Array.from({ length: 4 }, (_, i) =>
    sql(`G${i + 1}`, `GH${i + 1}`, 'rex', at(`2026-06-2${i}`)),
  ),
  opened('W1', ['G1'], at('2026-06-05'), { amount: 1000 }),
  opened('W2', ['G2'], at('2026-06-06'), { amount: 3000 }),
  won('W1', ['G1'], at('2026-06-10'), { amount: 1000 }),
  won('W2', ['G2'], at('2026-06-12'), { amount: 3000 }),
  ...['Q1', 'Q2', 'Q3', 'Q4', 'Q5'].map((lead) => mql(lead, at('2026-07-02'))),
  mql('G7', at('2026-07-03'), true),
  ...['Q1', 'Q2', 'Q3'].map((lead) => accepted(lead, `${lead}H`, 'rex', at('2026-07-05'))),
  sql('Q1', 'Q1H', 'rex', at('2026-07-08')),
  sql('Q2', 'Q2H', 'rex', at('2026-07-08')),
  opened('W3', ['Q1'], at('2026-07-09'), { amount: 2000 }),
  won('W3', ['Q1'], at('2026-07-10'), { amount: 2000 }),
  opened('W4', ['Q2'], at('2026-07-15'), { amount: 4000 }),
  won('W4', ['Q2'], at('2026-07-20'), { amount: 4000 }),
  reopened('W4', at('2026-07-25'), 'WON'),
  opened('W5', ['Q3'], at('2026-08-10'), { amount: 5000 }),
  opened('W6', ['Q4'], at('2026-08-17'), { amount: 1000 }),
  won('W6', ['Q4'], at('2026-08-20'), { amount: 1000 }),
  won('X1', ['Q5'], at('2026-12-01'), { amount: 1000 }),
  won('X2', ['Q5'], at('2026-12-02'), { amount: 1500, currency: 'USD' }),
]);
