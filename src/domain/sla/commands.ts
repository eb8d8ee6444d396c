import { z } from 'zod';
import { allow } from '../shared/authorization';
import type { HandledCommand, CommandSpec } from '../shared/command-spec';
import { Id, orNull, Segment } from '../shared/values';
import { SlaTerms } from './events';

/** The agreement `handOffLead` uses when it names none. */
export const DEFAULT_AGREEMENT_ID = 'default';

export const slaStreamId = (agreementId: string): string => `sla-${agreementId}`;

export const DefineSlaAgreement = z.object({
  agreementId: Id,
  acceptWithinMinutes: SlaTerms.shape.acceptWithinMinutes,
  firstContactWithinMinutes: SlaTerms.shape.firstContactWithinMinutes,
  minAttempts: SlaTerms.shape.minAttempts,
  attemptWindowDays: SlaTerms.shape.attemptWindowDays,
  monthlyMqlCommitment: orNull(z.number().int().min(0)),
  mqlToSqlBenchmark: orNull(z.number().min(0).max(1)),
  segment: orNull(Segment),
});
export type DefineSlaAgreement = z.infer<typeof DefineSlaAgreement>;

export const defineSlaAgreement: CommandSpec<DefineSlaAgreement> = {
  type: 'defineSlaAgreement',
  aggregate: 'slaAgreement',
  schema: DefineSlaAgreement,
  streamId: (d) => slaStreamId(d.agreementId),
  authorize: allow(),
  // A revision is a deliberate change of terms: the caller should see the version it replaces.
  retryOnConflict: false,
};

export const SLA_COMMANDS = { defineSlaAgreement };

export type SlaCommand = HandledCommand<'defineSlaAgreement', DefineSlaAgreement>;
