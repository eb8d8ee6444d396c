import type { CommandHandler } from '../commands/handle';
import type { Actor } from '../domain/shared/values';
import type { EventStore } from '../eventstore/port';
import type { ReadModelAccess } from '../projections/projection';
import type { ProjectionStatus } from '../projections/runner';
import { createLoaders, type Loaders } from './loaders';

/** What the resolvers use, wired by the composition root; nothing here is per request. */
export interface Services {
  handler: CommandHandler;
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
}

export interface GraphQLContext {
  /** Who asks; null when the request carries no token (and the server is not open). */
  actor: Actor | null;
  /** Recorded as the correlation id of the events a mutation writes. */
  requestId: string;
  services: Services;
  /** Per-request batching of read-model lookups. */
  loaders: Loaders;
}

export const createContext = (
  services: Services,
  actor: Actor | null,
  requestId: string,
): GraphQLContext => ({
  actor,
  requestId,
  services,
  loaders: createLoaders(services.access),
});
