import type { CommandHandler } from '../commands/handle';
import type { Actor } from '../domain/shared/values';
import type { EventStore } from '../eventstore/port';
import { NO_SPAN, type SpanHandle } from '../observability/tracing';
import type { ReadModelAccess } from '../projections/projection';
import type { ProjectionStatus } from '../projections/runner';
import { createLoaders, type Loaders } from './loaders';
import type { ResultCache } from './result-cache';

/** What the resolvers use, wired by the composition root; nothing here is per request. */
export interface Services {
  /** The command handler (in the server: timed and traced, see observability/commands). */
  handler: Pick<CommandHandler, 'handle'>;
  events: EventStore;
  /** Read models, through their live generations. */
  access: ReadModelAccess;
  projections: {
    waitFor(position: string, timeoutMs: number): Promise<boolean>;
    status(): Promise<ProjectionStatus[]>;
  };
  /** Longest wait for `consistentWith` before STALE (ms). */
  consistencyWaitMs: number;
  /** The server's clock ("now" of goal progress). */
  clock: () => Date;
  /** Answers of read-model queries while the read models are unchanged (none: no caching). */
  cache?: ResultCache;
}

/** What a request turned out to be, filled in as it runs: for the access log and the trace. */
export interface Observed {
  /** The operation's name as the document gives it (null: anonymous or not resolved). */
  operationName: string | null;
  operationType: string | null;
  /** API codes of the errors answered, in order. */
  errorCodes: string[];
  /** The request's span (a no-op unless tracing is on). */
  span: SpanHandle;
}

export interface GraphQLContext {
  /** Who asks; null when the request carries no token (and the server is not open). */
  actor: Actor | null;
  /** This request's id (`x-request-id`): on its log lines and its span. */
  requestId: string;
  /** Recorded as the correlation id of the events a mutation writes (`x-correlation-id`). */
  correlationId: string;
  services: Services;
  /** Per-request batching of read-model lookups. */
  loaders: Loaders;
  observed: Observed;
}

export const observing = (): Observed => ({
  operationName: null,
  operationType: null,
  errorCodes: [],
  span: NO_SPAN,
});

export const createContext = (
  services: Services,
  actor: Actor | null,
  requestId: string,
  /** Defaults: the request id as correlation id, a fresh record. */
  options: { correlationId?: string; observed?: Observed } = {},
): GraphQLContext => {
  // Made on first use: a mutation reads no read model and needs none.
  let loaders: Loaders | undefined;
  return {
    actor,
    requestId,
    correlationId: options.correlationId ?? requestId,
    services,
    get loaders() {
      return (loaders ??= createLoaders(services.access, services.cache));
    },
    set loaders(fresh: Loaders) {
      loaders = fresh;
    },
    observed: options.observed ?? observing(),
  };
};
