import type { EventStore } from '../eventstore/port';
import type { Value } from '../readstore/port';
import type { ReadModelAccess } from './projection';

/**
 * How projections' generations are named and recorded in the read store, shared by the runner
 * (which writes them) and the follower (which reads them in API-only replicas).
 */
export interface GenerationMeta {
  generation: number;
  version: number;
}

export interface ProjectionStatus {
  name: string;
  generation: number;
  /** Last event position applied ('' before the first). */
  position: string;
  lagEvents: number;
  lagSeconds: number;
  rebuilding: boolean;
}

/** What queries need of the projections, whether this process runs them or follows them. */
export interface ProjectionsView {
  /** Logical collection names resolved to the live generations. */
  readonly access: ReadModelAccess;
  /** True once every projection has applied `position`; false after `timeoutMs`. */
  waitFor(position: string, timeoutMs: number): Promise<boolean>;
  status(): Promise<ProjectionStatus[]>;
}

export const metaKey = (name: string) => `projection:${name}`;
export const buildingKey = (name: string) => `projection:${name}:building`;
export const checkpointName = (projection: string, generation: number) =>
  `${projection}@g${generation}`;
export const physical = (logical: string, generation: number) => `${logical}_g${generation}`;

export const asMeta = (value: Value | undefined): GenerationMeta | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? { generation: Number(value.generation), version: Number(value.version) }
    : undefined;

/** Lag beyond this many events is reported as this many (counting is a scan on some stores). */
const LAG_COUNT_LIMIT = 100_000;

/** Events behind the head after `position`, and the age of the oldest of them. */
export const lagAfter = async (
  events: EventStore,
  position: string,
  now: number,
): Promise<{ lagEvents: number; lagSeconds: number }> => {
  const lagEvents = await events.countAfter(position, LAG_COUNT_LIMIT);
  let lagSeconds = 0;
  if (lagEvents > 0) {
    for await (const next of events.readAll({ from: position, batchSize: 1 })) {
      lagSeconds = Math.max(0, (now - Date.parse(next.recordedAt)) / 1000);
      break;
    }
  }
  return { lagEvents, lagSeconds };
};

/** Resolves a logical collection to its owner's live generation, as `ReadModelAccess` does. */
export const liveAccess = (
  store: ReadModelAccess['store'],
  projections: ReadonlyArray<{ name: string; collections: ReadonlyArray<{ name: string }> }>,
  liveGeneration: (projection: string) => number | undefined,
): ReadModelAccess => ({
  store,
  collection: (logical) => {
    const owner = projections.find((p) => p.collections.some((c) => c.name === logical));
    if (!owner) throw new Error(`no projection owns the collection ${logical}`);
    const generation = liveGeneration(owner.name);
    if (generation === undefined) throw new Error(`projection ${owner.name} is not started`);
    return physical(logical, generation);
  },
});
