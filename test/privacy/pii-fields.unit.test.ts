import type { z } from 'zod';
import { LEAD_EVENTS, LEAD_PII_FIELDS } from '../../src/domain/lead/events';

/**
 * Every field of every lead event is either personal data (LEAD_PII_FIELDS: encrypted, erased
 * by forgetLead) or listed here as not personal: a new field must be classified to pass.
 */
const NOT_PERSONAL: Record<string, string[]> = {
  LeadCaptured: ['leadId', 'segment', 'channel', 'campaignId'],
  TouchRecorded: ['leadId', 'touchId', 'channel', 'campaignId', 'contentId', 'kind', 'createsLead'],
  LeadScored: ['leadId', 'fit', 'engagement', 'modelVersion'],
  LeadMarketingQualified: ['leadId', 'requalified'],
  LeadHandedOff: [
    'leadId',
    'handoffId',
    'repId',
    'team',
    'agreementId',
    'agreementVersion',
    'acceptBy',
    'firstContactBy',
    'minAttempts',
    'attemptsBy',
    'touchSummary',
  ],
  HandoffAccepted: ['leadId', 'handoffId', 'repId', 'minutesToAccept', 'withinSla'],
  HandoffRejected: ['leadId', 'handoffId', 'repId', 'reason'],
  LeadRecycled: ['leadId', 'fromStage', 'ownerRepId'],
  ContactAttemptLogged: ['leadId', 'handoffId', 'repId', 'attemptNo', 'channel', 'outcome'],
  LeadSalesQualified: ['leadId', 'handoffId', 'repId'],
  LeadDisqualified: ['leadId', 'fromStage', 'ownerRepId'],
  LeadReassigned: ['leadId', 'handoffId', 'fromRepId', 'toRepId'],
  SlaBreached: ['leadId', 'handoffId', 'kind', 'deadline', 'detectedAt', 'ownerRepId', 'team'],
  LeadConverted: ['leadId', 'dealId'],
  // The erasure's own record: a reason such as a ticket number, kept readable.
  LeadForgotten: ['leadId', 'reason'],
};

describe('personal data fields of lead events', () => {
  it.each(Object.entries(LEAD_EVENTS))('%s: every field is classified once', (type, schema) => {
    const fields = Object.keys((schema as z.ZodObject).shape).sort();
    const pii: readonly string[] =
      (LEAD_PII_FIELDS as Record<string, readonly string[]>)[type] ?? [];
    const plain = NOT_PERSONAL[type] ?? [];
    expect([...pii, ...plain].sort()).toEqual(fields);
    expect(pii.filter((f) => plain.includes(f))).toEqual([]);
  });

  it('covers contact details and free text', () => {
    expect(LEAD_PII_FIELDS.LeadCaptured).toEqual(['email', 'name', 'company', 'phone']);
    expect(LEAD_PII_FIELDS.HandoffRejected).toEqual(['note']);
  });
});
