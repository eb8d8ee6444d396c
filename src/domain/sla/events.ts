import { z } from 'zod';
import type { DomainEvent } from '../shared/decider';
import { Id, Segment } from '../shared/values';

/** One set of service levels, for a segment or as the agreement's default. */
export const SlaTerms = z.object({
  acceptWithinMinutes: z.number().int().min(1).max(43_200),
  firstContactWithinMinutes: z.number().int().min(1).max(43_200),
  minAttempts: z.number().int().min(0).max(100),
  attemptWindowDays: z.number().int().min(1).max(365),
  monthlyMqlCommitment: z.number().int().min(0).nullable(),
  /** Share of MQLs sales expects to become SQL (0..1): marketing's quality promise. */
  mqlToSqlBenchmark: z.number().min(0).max(1).nullable(),
});
export type SlaTerms = z.infer<typeof SlaTerms>;

export const SlaAgreementDefined = SlaTerms.extend({
  agreementId: Id,
  version: z.literal(1),
  /** Null: the agreement's default terms. */
  segment: Segment.nullable(),
});
export type SlaAgreementDefined = z.infer<typeof SlaAgreementDefined>;

export const SlaAgreementRevised = SlaTerms.extend({
  agreementId: Id,
  version: z.number().int().min(2),
  segment: Segment.nullable(),
});
export type SlaAgreementRevised = z.infer<typeof SlaAgreementRevised>;

export const SLA_EVENTS = { SlaAgreementDefined, SlaAgreementRevised };

export interface SlaEventData {
  SlaAgreementDefined: SlaAgreementDefined;
  SlaAgreementRevised: SlaAgreementRevised;
}
export type SlaEvent = {
  [K in keyof SlaEventData]: DomainEvent<K, SlaEventData[K]>;
}[keyof SlaEventData];
