import type { GraphQLContext } from './context';
import { staleError, userInputError } from './errors';

/** Positions of both event stores: digits, and `commit/prepare` on EventStoreDB. */
const POSITION = /^\d{1,24}(\/\d{1,24})?$/;

/**
 * `consistentWith`: waits, up to the configured bound, until every projection has applied the
 * given position (a mutation's payload), else STALE. Nothing to wait for without a position.
 */
export const ensureConsistent = async (
  ctx: GraphQLContext,
  position: string | null | undefined,
): Promise<void> => {
  if (!position) return;
  if (!POSITION.test(position)) {
    throw userInputError('consistentWith must be a position returned by a mutation', [
      { path: 'consistentWith', message: 'not a position' },
    ]);
  }
  const { projections, consistencyWaitMs } = ctx.services;
  if (!(await projections.waitFor(position, consistencyWaitMs))) {
    throw staleError(position, consistencyWaitMs);
  }
};
