import { DEAL_EVENTS, type DealEventData } from '../../src/domain/deal/events';
import { LEAD_EVENTS, type LeadEventData } from '../../src/domain/lead/events';
import type { ProjectionEvent } from '../../src/projections/projection';
import { positionOf } from './harness';

/**
 * Deals that exercise attribution's edge cases (2026, business days in UTC):
 * - DA (lead LA, EUR): touches on May 2 (PAID_SEARCH cmp-s), May 3 (WEBINAR cmp-a, creates the
 *   lead), May 10 (EMAIL cmp-n); opened May 15 at 1000; a touch on June 1 (EVENT, no campaign)
 *   after the opening; won June 10 at 1200; reopened August 5; lost August 20.
 * - DB (leads LB1 and LB2, USD): LB1 touched June 1 (EMAIL cmp-n), LB2 June 2 (WEBINAR cmp-a);
 *   opened June 5 at 300, amount changed June 7 to 450, won June 20 at 450.
 * - DC (lead LC, no touch, EUR): opened and won June 15 at 500: UNATTRIBUTED.
 * - DD (lead LD, EUR): one touch June 3 (PAID_SOCIAL cmp-b); opened June 4 at 100, still open;
 *   LD forgotten June 6.
 * - DE (lead LE, EUR): touch June 25 (CHAT cmp-c); opened June 26 at 80, won July 1 00:10 but
 *   recorded June 30 23:55 (a clock ahead: an EARLY delta).
 */

export const EMAIL_PREFIX = 'person-';

interface Draft {
  type: string;
  data: unknown;
  streamId: string;
  occurredAt: string;
  recordedAt: string;
}

const lead = <K extends keyof LeadEventData>(
  type: K,
  occurredAt: string,
  data: LeadEventData[K],
  recordedAt = occurredAt,
): Draft => ({
  type,
  data: LEAD_EVENTS[type].parse(data),
  streamId: `lead-${data.leadId}`,
  occurredAt,
  recordedAt,
});

const deal = <K extends keyof DealEventData>(
  type: K,
  occurredAt: string,
  data: DealEventData[K],
  recordedAt = occurredAt,
): Draft => ({
  type,
  data: DEAL_EVENTS[type].parse(data),
  streamId: `deal-${data.dealId}`,
  occurredAt,
  recordedAt,
});

export const captured = (leadId: string, occurredAt: string, channel = 'WEBINAR') =>
  lead('LeadCaptured', occurredAt, {
    leadId,
    email: `${EMAIL_PREFIX}${leadId.toLowerCase()}@example.com`,
    name: `Name ${leadId}`,
    company: null,
    segment: 'SMB',
    channel: channel as LeadEventData['LeadCaptured']['channel'],
    campaignId: 'cmp-src',
  });

export const touch = (
  leadId: string,
  touchId: string,
  occurredAt: string,
  channel: string,
  campaignId: string | null,
  createsLead = false,
  recordedAt = occurredAt,
) =>
  lead(
    'TouchRecorded',
    occurredAt,
    {
      leadId,
      touchId,
      channel: channel as LeadEventData['TouchRecorded']['channel'],
      campaignId,
      contentId: null,
      kind: 'MARKETING',
      createsLead,
    },
    recordedAt,
  );

export const opened = (
  dealId: string,
  leadIds: string[],
  occurredAt: string,
  amount: number,
  currency = 'EUR',
) =>
  deal('DealOpened', occurredAt, {
    dealId,
    leadIds,
    account: 'Acme',
    amount,
    currency,
    ownerRepId: 'rex',
  });

export const amountChanged = (
  dealId: string,
  occurredAt: string,
  fromAmount: number,
  toAmount: number,
  currency = 'EUR',
) =>
  deal('DealAmountChanged', occurredAt, { dealId, fromAmount, toAmount, currency, reason: null });

export const won = (
  dealId: string,
  leadIds: string[],
  occurredAt: string,
  amount: number,
  currency = 'EUR',
  recordedAt = occurredAt,
) =>
  deal('DealWon', occurredAt, { dealId, leadIds, amount, currency, ownerRepId: 'rex' }, recordedAt);

export const lost = (
  dealId: string,
  leadIds: string[],
  occurredAt: string,
  amount: number,
  currency = 'EUR',
) =>
  deal('DealLost', occurredAt, {
    dealId,
    leadIds,
    amount,
    currency,
    ownerRepId: 'rex',
    reason: 'PRICE',
    competitor: null,
  });

export const reopened = (dealId: string, occurredAt: string, fromStatus: 'WON' | 'LOST') =>
  deal('DealReopened', occurredAt, { dealId, fromStatus, reason: null });

export const forgotten = (leadId: string, occurredAt: string) =>
  lead('LeadForgotten', occurredAt, { leadId, reason: 'GDPR request' });

/** Events in log order (by recorded time, drafts in their given order on a tie). */
export const toLog = (drafts: readonly Draft[]): ProjectionEvent[] => {
  const ordered = drafts
    .map((d, i) => ({ d, i }))
    .sort((a, b) => Date.parse(a.d.recordedAt) - Date.parse(b.d.recordedAt) || a.i - b.i);
  const revisions = new Map<string, number>();
  return ordered.map(({ d }, i) => {
    const revision = revisions.get(d.streamId) ?? 0;
    revisions.set(d.streamId, revision + 1);
    return {
      type: d.type,
      data: d.data,
      streamId: d.streamId,
      revision,
      position: positionOf(i),
      occurredAt: d.occurredAt,
      recordedAt: d.recordedAt,
      actorId: 'tester',
    };
  });
};

const day = (d: string, time = '12:00:00.000') => `2026-${d}T${time}Z`;
export { day as on };

export const DRAFTS: Draft[] = [
  // DA
  captured('LA', day('05-01')),
  touch('LA', 'tA1', day('05-02'), 'PAID_SEARCH', 'cmp-s'),
  touch('LA', 'tA2', day('05-03'), 'WEBINAR', 'cmp-a', true),
  touch('LA', 'tA3', day('05-10'), 'EMAIL', 'cmp-n'),
  opened('DA', ['LA'], day('05-15'), 1000),
  touch('LA', 'tA4', day('06-01'), 'EVENT', null),
  won('DA', ['LA'], day('06-10'), 1200),
  reopened('DA', day('08-05'), 'WON'),
  lost('DA', ['LA'], day('08-20'), 1200),
  // DB
  captured('LB1', day('05-20')),
  captured('LB2', day('05-21')),
  touch('LB1', 'tB1', day('06-01'), 'EMAIL', 'cmp-n'),
  touch('LB2', 'tB2', day('06-02'), 'WEBINAR', 'cmp-a', true),
  opened('DB', ['LB1', 'LB2'], day('06-05'), 300, 'USD'),
  amountChanged('DB', day('06-07'), 300, 450, 'USD'),
  won('DB', ['LB1', 'LB2'], day('06-20'), 450, 'USD'),
  // DC
  captured('LC', day('06-01')),
  opened('DC', ['LC'], day('06-15', '09:00:00.000'), 500),
  won('DC', ['LC'], day('06-15', '15:00:00.000'), 500),
  // DD
  captured('LD', day('06-02')),
  touch('LD', 'tD1', day('06-03'), 'PAID_SOCIAL', 'cmp-b'),
  opened('DD', ['LD'], day('06-04'), 100),
  forgotten('LD', day('06-06')),
  // DE
  captured('LE', day('06-20')),
  touch('LE', 'tE1', day('06-25'), 'CHAT', 'cmp-c'),
  opened('DE', ['LE'], day('06-26'), 80),
  won('DE', ['LE'], day('07-01', '00:10:00.000'), 80, 'EUR', day('06-30', '23:55:00.000')),
];

export const ATTRIBUTION_HISTORY: ProjectionEvent[] = toLog(DRAFTS);
