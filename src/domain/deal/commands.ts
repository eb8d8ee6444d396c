import { z } from 'zod';
import { allow } from '../shared/authorization';
import { fillId, type CommandSpec, type CommandsOf } from '../shared/command-spec';
import { ActorId, Amount, Currency, Id, Label, orNull, ShortText } from '../shared/values';
import { leadStreamId } from '../lead/commands';
import { LostReason, PipelineStage } from './events';

export const dealStreamId = (dealId: string): string => `deal-${dealId}`;

/** Context key under which `openDeal` receives each lead's folded state. */
export const leadContextKey = (leadId: string): string => `lead:${leadId}`;

export const OpenDeal = z.object({
  dealId: Id,
  leadIds: z
    .array(Id)
    .min(1)
    .max(100)
    .refine((ids) => new Set(ids).size === ids.length, 'must not repeat a lead'),
  account: Label,
  amount: Amount,
  currency: Currency,
  ownerRepId: ActorId,
});
export type OpenDeal = z.infer<typeof OpenDeal>;

export const ChangeDealStage = z.object({ dealId: Id, stage: PipelineStage });
export type ChangeDealStage = z.infer<typeof ChangeDealStage>;

export const ChangeDealAmount = z.object({
  dealId: Id,
  amount: Amount,
  /** Optional guard: when given it must be the deal's currency (fixed at open). */
  currency: orNull(Currency),
  reason: orNull(ShortText),
});
export type ChangeDealAmount = z.infer<typeof ChangeDealAmount>;

export const WinDeal = z.object({ dealId: Id, amount: orNull(Amount) });
export type WinDeal = z.infer<typeof WinDeal>;

export const LoseDeal = z.object({ dealId: Id, reason: LostReason, competitor: orNull(Label) });
export type LoseDeal = z.infer<typeof LoseDeal>;

export const ReopenDeal = z.object({ dealId: Id, reason: orNull(ShortText) });
export type ReopenDeal = z.infer<typeof ReopenDeal>;

const onDeal = {
  aggregate: 'deal' as const,
  streamId: (d: { dealId: string }) => dealStreamId(d.dealId),
  authorize: allow('SALES'),
};

export const openDeal: CommandSpec<OpenDeal> = {
  type: 'openDeal',
  ...onDeal,
  schema: OpenDeal,
  prepare: fillId('dealId'),
  retryOnConflict: true,
  dependencies: (d) =>
    d.leadIds.map((id) => ({
      key: leadContextKey(id),
      streamId: leadStreamId(id),
      aggregate: 'lead',
    })),
};

export const changeDealStage: CommandSpec<ChangeDealStage> = {
  type: 'changeDealStage',
  ...onDeal,
  schema: ChangeDealStage,
  retryOnConflict: false,
};

export const changeDealAmount: CommandSpec<ChangeDealAmount> = {
  type: 'changeDealAmount',
  ...onDeal,
  schema: ChangeDealAmount,
  // The new amount was chosen against the amount the caller saw.
  retryOnConflict: false,
};

export const winDeal: CommandSpec<WinDeal> = {
  type: 'winDeal',
  ...onDeal,
  schema: WinDeal,
  retryOnConflict: true,
};

export const loseDeal: CommandSpec<LoseDeal> = {
  type: 'loseDeal',
  ...onDeal,
  schema: LoseDeal,
  retryOnConflict: true,
};

export const reopenDeal: CommandSpec<ReopenDeal> = {
  type: 'reopenDeal',
  ...onDeal,
  schema: ReopenDeal,
  retryOnConflict: true,
};

export const DEAL_COMMANDS = {
  openDeal,
  changeDealStage,
  changeDealAmount,
  winDeal,
  loseDeal,
  reopenDeal,
};

export type DealCommand = CommandsOf<typeof DEAL_COMMANDS>;
