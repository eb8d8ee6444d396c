import { ArgsType, Field, Int } from 'type-graphql';
import type { PageArgs } from '../../projections/connection';
import { ensureConsistent } from '../consistency';
import type { GraphQLContext } from '../context';
import { userInputError } from '../errors';
import { DateTimeScalar } from '../scalars';

/** Largest page any connection serves. */
export const MAX_PAGE_SIZE = 500;

@ArgsType()
export class ConnectionArgs implements PageArgs {
  @Field(() => Int, {
    nullable: true,
    description: `Forward page size (default 20, at most ${MAX_PAGE_SIZE}).`,
  })
  first?: number | null;
  @Field(() => String, { nullable: true, description: 'Cursor to page forward from.' })
  after?: string | null;
  @Field(() => Int, {
    nullable: true,
    description: `Backward page size (at most ${MAX_PAGE_SIZE}).`,
  })
  last?: number | null;
  @Field(() => String, { nullable: true, description: 'Cursor to page backward from.' })
  before?: string | null;
}

/** The page arguments, refused as BAD_USER_INPUT beyond the maximum size. */
export const pageArgs = (args: ConnectionArgs): PageArgs => {
  for (const name of ['first', 'last'] as const) {
    const n = args[name];
    if (typeof n === 'number' && n > MAX_PAGE_SIZE) {
      throw userInputError(`${name} must be at most ${MAX_PAGE_SIZE}`, [
        { path: name, message: `at most ${MAX_PAGE_SIZE}` },
      ]);
    }
  }
  return { first: args.first, after: args.after, last: args.last, before: args.before };
};

/** A report's period and read-your-writes position: every report query takes these. */
@ArgsType()
export class PeriodArgs {
  @Field(() => DateTimeScalar, { description: 'Inclusive; reports count whole UTC days.' })
  from!: string;
  @Field(() => DateTimeScalar, {
    description: 'Exclusive: a day counts when it starts before `to`.',
  })
  to!: string;
  @Field(() => String, {
    nullable: true,
    description: 'A position from a mutation: the answer reflects at least that write, or STALE.',
  })
  consistentWith?: string | null;
}

/** Longest period a report covers in one query. */
const MAX_PERIOD_DAYS = 3660;

/** A report's period checked (BAD_USER_INPUT), then the wait for its `consistentWith`. */
export const enterPeriod = async (ctx: GraphQLContext, args: PeriodArgs): Promise<void> => {
  const days = (Date.parse(args.to) - Date.parse(args.from)) / 86_400_000;
  if (days <= 0) {
    throw userInputError('to must be after from', [{ path: 'to', message: 'must be after from' }]);
  }
  if (days > MAX_PERIOD_DAYS) {
    throw userInputError(`the period may span at most ${MAX_PERIOD_DAYS} days`, [
      { path: 'to', message: `at most ${MAX_PERIOD_DAYS} days after from` },
    ]);
  }
  await ensureConsistent(ctx, args.consistentWith);
};
