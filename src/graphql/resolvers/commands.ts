import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { CommandResult } from '../../commands/handle';
import { ValidationError } from '../../domain/shared/errors';
import type { GraphQLContext } from '../context';
import {
  CaptureLeadPayload,
  CommandResultPayload,
  HandOffLeadPayload,
  OpenDealPayload,
  RecordTouchPayload,
  type CommandPayload,
} from '../types/common';
import {
  AcceptHandoffInput,
  CaptureLeadInput,
  ChangeDealAmountInput,
  ChangeDealStageInput,
  DefineSlaAgreementInput,
  DisqualifyLeadInput,
  ForgetLeadInput,
  HandOffLeadInput,
  LogContactAttemptInput,
  LoseDealInput,
  OpenDealInput,
  QualifyForSalesInput,
  QualifyLeadInput,
  ReassignLeadInput,
  RecordCampaignCostInput,
  RecordTouchInput,
  RecycleLeadInput,
  RegisterCampaignInput,
  RejectHandoffInput,
  ReopenDealInput,
  ScoreLeadInput,
  SetGoalsInput,
  WinDealInput,
  type CommandInput,
} from '../types/inputs';

type Extra = Record<string, unknown>;

/** A field of the first event the command wrote (ids and deadlines the caller needs back). */
const written = (result: CommandResult, field: string): unknown => {
  for (const event of result.events) {
    const data = event.data as Record<string, unknown>;
    if (data[field] !== undefined) return data[field];
  }
  return null;
};

/**
 * Runs one command as the request's actor: the input minus the common options is the command's
 * data; the domain validates, authorises and decides; nothing is written on any error.
 */
const run = async (
  ctx: GraphQLContext,
  type: string,
  input: CommandInput,
  extra: (result: CommandResult) => Extra = () => ({}),
): Promise<CommandPayload & Extra> => {
  const { expectedVersion, idempotencyKey, occurredAt, ...data } = input;
  let result: CommandResult;
  try {
    result = await ctx.services.handler.handle(
      type,
      { ...data },
      {
        actor: ctx.actor!,
        expectedVersion: expectedVersion ?? undefined,
        idempotencyKey: idempotencyKey ?? undefined,
        occurredAt: occurredAt ?? undefined,
        correlationId: ctx.correlationId,
      },
    );
  } catch (error) {
    // Paths as the client wrote them: fields of the `input` argument.
    if (error instanceof ValidationError) {
      throw new ValidationError(error.fields.map((f) => ({ ...f, path: `input.${f.path}` })));
    }
    throw error;
  }
  return {
    streamId: result.streamId,
    version: result.version,
    position: result.position,
    deduplicated: result.deduplicated,
    eventTypes: result.events.map((e) => e.type),
    ...extra(result),
  };
};

const ids =
  (...fields: string[]) =>
  (result: CommandResult): Extra =>
    Object.fromEntries(fields.map((f) => [f, written(result, f)]));

/** Every command of API.md as a mutation; who may run what is the domain's rule (API.md roles). */
@Authorized()
@Resolver()
export class CommandResolver {
  @Mutation(() => CaptureLeadPayload, { description: 'A new lead (MARKETING).' })
  captureLead(
    @Arg('input', () => CaptureLeadInput) input: CaptureLeadInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return run(ctx, 'captureLead', input, ids('leadId'));
  }

  @Mutation(() => RecordTouchPayload, {
    description: 'A marketing touch (MARKETING), or a sales touch (kind SALES, SALES too).',
  })
  recordTouch(
    @Arg('input', () => RecordTouchInput) input: RecordTouchInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return run(ctx, 'recordTouch', input, ids('touchId'));
  }

  @Mutation(() => CommandResultPayload, { description: 'Fit and engagement scores (MARKETING).' })
  scoreLead(@Arg('input', () => ScoreLeadInput) input: ScoreLeadInput, @Ctx() ctx: GraphQLContext) {
    return run(ctx, 'scoreLead', input);
  }

  @Mutation(() => CommandResultPayload, {
    description: 'Marketing qualified lead, MQL (MARKETING).',
  })
  qualifyLead(
    @Arg('input', () => QualifyLeadInput) input: QualifyLeadInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return run(ctx, 'qualifyLead', input);
  }

  @Mutation(() => HandOffLeadPayload, {
    description: 'Hand an MQL to a rep under the SLA agreement in force (MARKETING).',
  })
  handOffLead(
    @Arg('input', () => HandOffLeadInput) input: HandOffLeadInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return run(ctx, 'handOffLead', input, ids('handoffId', 'acceptBy', 'firstContactBy'));
  }

  @Mutation(() => CommandResultPayload, {
    description: 'The rep accepts the handoff: SAL (SALES).',
  })
  acceptHandoff(
    @Arg('input', () => AcceptHandoffInput) input: AcceptHandoffInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return run(ctx, 'acceptHandoff', input);
  }

  @Mutation(() => CommandResultPayload, { description: 'The rep rejects the handoff (SALES).' })
  rejectHandoff(
    @Arg('input', () => RejectHandoffInput) input: RejectHandoffInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return run(ctx, 'rejectHandoff', input);
  }

  @Mutation(() => CommandResultPayload, {
    description: 'Back to marketing nurture (MARKETING, SALES).',
  })
  recycleLead(
    @Arg('input', () => RecycleLeadInput) input: RecycleLeadInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return run(ctx, 'recycleLead', input);
  }

  @Mutation(() => CommandResultPayload, {
    description: 'A call, e-mail, social or meeting attempt (SALES).',
  })
  logContactAttempt(
    @Arg('input', () => LogContactAttemptInput) input: LogContactAttemptInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return run(ctx, 'logContactAttempt', input);
  }

  @Mutation(() => CommandResultPayload, { description: 'Sales qualified lead, SQL (SALES).' })
  qualifyForSales(
    @Arg('input', () => QualifyForSalesInput) input: QualifyForSalesInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return run(ctx, 'qualifyForSales', input);
  }

  @Mutation(() => CommandResultPayload, { description: 'Not a fit (MARKETING, SALES).' })
  disqualifyLead(
    @Arg('input', () => DisqualifyLeadInput) input: DisqualifyLeadInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return run(ctx, 'disqualifyLead', input);
  }

  @Mutation(() => CommandResultPayload, {
    description: "Move the lead to another rep (SALES, its owner; ADMIN for another rep's lead).",
  })
  reassignLead(
    @Arg('input', () => ReassignLeadInput) input: ReassignLeadInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return run(ctx, 'reassignLead', input);
  }

  @Mutation(() => CommandResultPayload, { description: "Erase the lead's personal data (ADMIN)." })
  forgetLead(
    @Arg('input', () => ForgetLeadInput) input: ForgetLeadInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return run(ctx, 'forgetLead', input);
  }

  @Mutation(() => OpenDealPayload, { description: 'An opportunity for one or more leads (SALES).' })
  openDeal(@Arg('input', () => OpenDealInput) input: OpenDealInput, @Ctx() ctx: GraphQLContext) {
    return run(ctx, 'openDeal', input, ids('dealId'));
  }

  @Mutation(() => CommandResultPayload, { description: 'Closed won (SALES).' })
  winDeal(@Arg('input', () => WinDealInput) input: WinDealInput, @Ctx() ctx: GraphQLContext) {
    return run(ctx, 'winDeal', input);
  }

  @Mutation(() => CommandResultPayload, { description: 'Closed lost (SALES).' })
  loseDeal(@Arg('input', () => LoseDealInput) input: LoseDealInput, @Ctx() ctx: GraphQLContext) {
    return run(ctx, 'loseDeal', input);
  }

  @Mutation(() => CommandResultPayload, {
    description: 'Back to open after a win or a loss (SALES).',
  })
  reopenDeal(
    @Arg('input', () => ReopenDealInput) input: ReopenDealInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return run(ctx, 'reopenDeal', input);
  }

  @Mutation(() => CommandResultPayload, {
    description: 'Move an open deal along the pipeline (SALES).',
  })
  changeDealStage(
    @Arg('input', () => ChangeDealStageInput) input: ChangeDealStageInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return run(ctx, 'changeDealStage', input);
  }

  @Mutation(() => CommandResultPayload, { description: "Change an open deal's amount (SALES)." })
  changeDealAmount(
    @Arg('input', () => ChangeDealAmountInput) input: ChangeDealAmountInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return run(ctx, 'changeDealAmount', input);
  }

  @Mutation(() => CommandResultPayload, {
    description: 'A new version of an SLA agreement; handoffs use the version in force (ADMIN).',
  })
  defineSlaAgreement(
    @Arg('input', () => DefineSlaAgreementInput) input: DefineSlaAgreementInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return run(ctx, 'defineSlaAgreement', input);
  }

  @Mutation(() => CommandResultPayload, { description: 'A campaign (MARKETING).' })
  registerCampaign(
    @Arg('input', () => RegisterCampaignInput) input: RegisterCampaignInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return run(ctx, 'registerCampaign', input);
  }

  @Mutation(() => CommandResultPayload, { description: 'Spend over a period of days (MARKETING).' })
  recordCampaignCost(
    @Arg('input', () => RecordCampaignCostInput) input: RecordCampaignCostInput,
    @Ctx() ctx: GraphQLContext,
  ) {
    return run(ctx, 'recordCampaignCost', input);
  }

  @Mutation(() => CommandResultPayload, {
    description: 'Targets for a year, quarter or month (ADMIN).',
  })
  setGoals(@Arg('input', () => SetGoalsInput) input: SetGoalsInput, @Ctx() ctx: GraphQLContext) {
    return run(ctx, 'setGoals', input);
  }
}
