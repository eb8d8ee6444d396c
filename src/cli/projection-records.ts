import {
  asMeta,
  buildingKey,
  checkpointName,
  metaKey,
  type GenerationMeta,
} from '../projections/generations';
import type { Projection } from '../projections/projection';
import type { ReadStore } from '../readstore/port';

/** What the projection runner recorded of one projection in the read store. */
export interface ProjectionRecord {
  name: string;
  /** The version of the projection's code in this build. */
  version: number;
  /** The generation queries read (null: no projector has started this projection yet). */
  live: GenerationMeta | null;
  /** A generation being rebuilt, if any. */
  building: GenerationMeta | null;
  /** Last position the live generation applied ('' before the first). */
  position: string;
}

/** Read without starting a runner (which would create collections, start rebuilds, project). */
export const readProjectionRecord = async (
  store: ReadStore,
  projection: Projection,
): Promise<ProjectionRecord> => {
  const live = asMeta(await store.readMeta(metaKey(projection.name))) ?? null;
  const building = asMeta(await store.readMeta(buildingKey(projection.name))) ?? null;
  const position = live
    ? ((await store.getCheckpoint(checkpointName(projection.name, live.generation))) ?? '')
    : '';
  return { name: projection.name, version: projection.version, live, building, position };
};

/** Checkpoint of the generation being rebuilt ('' before its first write; null: none). */
export const buildingPosition = async (store: ReadStore, name: string): Promise<string | null> => {
  const building = asMeta(await store.readMeta(buildingKey(name)));
  if (!building) return null;
  return (await store.getCheckpoint(checkpointName(name, building.generation))) ?? '';
};
