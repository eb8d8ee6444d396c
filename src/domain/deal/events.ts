import { z } from 'zod';
import type { DomainEvent } from '../shared/decider';
import { ActorId, Amount, Currency, Id, Label, ShortText } from '../shared/values';

export const LostReason = z.enum([
  'PRICE',
  'MISSING_FEATURE',
  'SECURITY',
  'COMPETITOR',
  'NO_DECISION',
  'TIMING',
  'OTHER',
]);
export type LostReason = z.infer<typeof LostReason>;

/** Pipeline stages are the sales org's own labels (e.g. DISCOVERY, PROPOSAL). */
export const PipelineStage = z.string().trim().min(1).max(64);

export const DealStatus = z.enum(['OPEN', 'WON', 'LOST']);
export type DealStatus = z.infer<typeof DealStatus>;

export const DealOpened = z.object({
  dealId: Id,
  leadIds: z.array(Id).min(1),
  account: Label,
  amount: Amount,
  currency: Currency,
  ownerRepId: ActorId,
});
export type DealOpened = z.infer<typeof DealOpened>;

export const DealStageChanged = z.object({
  dealId: Id,
  fromStage: PipelineStage.nullable(),
  toStage: PipelineStage,
});
export type DealStageChanged = z.infer<typeof DealStageChanged>;

export const DealAmountChanged = z.object({
  dealId: Id,
  fromAmount: Amount,
  toAmount: Amount,
  currency: Currency,
  reason: ShortText.nullable(),
});
export type DealAmountChanged = z.infer<typeof DealAmountChanged>;

/** Outcomes repeat the deal's leads, currency and owner so revenue reports need no join. */
const Outcome = {
  dealId: Id,
  leadIds: z.array(Id).min(1),
  amount: Amount,
  currency: Currency,
  ownerRepId: ActorId,
};

export const DealWon = z.object(Outcome);
export type DealWon = z.infer<typeof DealWon>;

export const DealLost = z.object({
  ...Outcome,
  reason: LostReason,
  competitor: Label.nullable(),
});
export type DealLost = z.infer<typeof DealLost>;

export const DealReopened = z.object({
  dealId: Id,
  fromStatus: DealStatus.exclude(['OPEN']),
  reason: ShortText.nullable(),
});
export type DealReopened = z.infer<typeof DealReopened>;

export const DEAL_EVENTS = {
  DealOpened,
  DealStageChanged,
  DealAmountChanged,
  DealWon,
  DealLost,
  DealReopened,
};

export type DealEventData = { [K in keyof typeof DEAL_EVENTS]: z.infer<(typeof DEAL_EVENTS)[K]> };
export type DealEvent = {
  [K in keyof DealEventData]: DomainEvent<K, DealEventData[K]>;
}[keyof DealEventData];

export const dealEvent = <K extends keyof DealEventData>(
  type: K,
  occurredAt: string,
  data: DealEventData[K],
): DomainEvent<K, DealEventData[K]> => ({ type, occurredAt, data });
