import { Field, ID, Int, InterfaceType, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../scalars';

@ObjectType({ description: 'Relay page information.' })
export class PageInfo {
  @Field(() => Boolean) hasNextPage!: boolean;
  @Field(() => Boolean) hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true }) startCursor!: string | null;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

@InterfaceType({ description: 'What every mutation returns.' })
export abstract class CommandPayload {
  @Field(() => ID, { description: 'The stream written (e.g. lead-<id>).' })
  streamId!: string;

  @Field(() => Int, { description: 'Stream revision after the write.' })
  version!: number;

  @Field(() => String, {
    description:
      'Global position of the last event written: pass it as consistentWith to read your write.',
  })
  position!: string;

  @Field(() => Boolean, {
    description: 'True when an earlier call with the same idempotency key wrote these events.',
  })
  deduplicated!: boolean;

  @Field(() => [String], { description: 'Types of the events written, in order.' })
  eventTypes!: string[];
}

@ObjectType({ implements: CommandPayload })
export class CommandResultPayload extends CommandPayload {}

@ObjectType({ implements: CommandPayload })
export class CaptureLeadPayload extends CommandPayload {
  @Field(() => ID) leadId!: string;
}

@ObjectType({ implements: CommandPayload })
export class RecordTouchPayload extends CommandPayload {
  @Field(() => ID) touchId!: string;
}

@ObjectType({ implements: CommandPayload })
export class HandOffLeadPayload extends CommandPayload {
  @Field(() => ID) handoffId!: string;
  @Field(() => DateTimeScalar) acceptBy!: string;
  @Field(() => DateTimeScalar) firstContactBy!: string;
}

@ObjectType({ implements: CommandPayload })
export class OpenDealPayload extends CommandPayload {
  @Field(() => ID) dealId!: string;
}
