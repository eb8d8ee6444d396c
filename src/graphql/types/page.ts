import { ArgsType, Field, Int } from 'type-graphql';
import type { PageArgs } from '../../projections/connection';
import { userInputError } from '../errors';

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
