import { isBefore } from '../shared/time';
import type { Segment } from '../shared/values';
import type { SlaTerms } from './events';
import type { SlaAgreementState } from './decider';

/** Terms used when no agreement is in force: documented in the domain's decisions. */
export const BUILTIN_TERMS: SlaTerms = {
  acceptWithinMinutes: 60,
  firstContactWithinMinutes: 240,
  minAttempts: 3,
  attemptWindowDays: 7,
  monthlyMqlCommitment: null,
  mqlToSqlBenchmark: null,
};
export const BUILTIN_AGREEMENT_ID = 'builtin';

export interface TermsInForce {
  agreementId: string;
  agreementVersion: number;
  terms: SlaTerms;
}

/** Latest version effective at `at`; its segment terms, else its defaults, else built-in. */
export const termsInForce = (
  agreement: SlaAgreementState,
  segment: Segment,
  at: string,
): TermsInForce => {
  const version = agreement.versions.findLast((v) => !isBefore(at, v.effectiveAt));
  const terms = version?.segments[segment] ?? version?.defaults;
  return version && terms
    ? { agreementId: agreement.agreementId, agreementVersion: version.version, terms }
    : { agreementId: BUILTIN_AGREEMENT_ID, agreementVersion: 0, terms: BUILTIN_TERMS };
};
