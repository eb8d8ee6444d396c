import type { CollectionSpec, Doc, DocChange, ReadStore } from '../readstore/port';

/** An event as projections see it: data already upcast to the current schema version. */
export interface ProjectionEvent<D = unknown> {
  type: string;
  data: D;
  streamId: string;
  revision: number;
  position: string;
  /** Business time. */
  occurredAt: string;
  /** When the store recorded it. */
  recordedAt: string;
  actorId: string;
  /** The actor's roles when it acted. */
  actorRoles?: readonly string[];
  /** The request that recorded it. */
  correlationId?: string;
}

/** Read access, during projection, to documents the projection declared in `needs`. */
export interface DocView {
  /** The document as of the previous event of the batch (pending changes included). */
  get(collection: string, id: string): Doc | undefined;
}

export interface DocRef {
  collection: string;
  id: string;
}

/**
 * A projection is data plus pure functions: which events it handles and which document
 * changes each produces. It never awaits I/O; the runner owns batching, checkpoints, rebuilds.
 * Collection names are logical: the runner maps them to the projection's live generation.
 */
export interface Projection {
  name: string;
  /** Bump when `project` changes meaning: the runner rebuilds the projection at start. */
  version: number;
  collections: CollectionSpec[];
  handles: ReadonlySet<string>;
  /** Documents (of this projection's own collections) that `project` will read for the event. */
  needs?(event: ProjectionEvent): DocRef[];
  /**
   * Collections `needs` never names whose documents are seldom changed again once written (one
   * per event, per touch): a bulk catch-up writes them after every chunk, ahead of the
   * checkpoint, instead of holding them in memory until its next write.
   */
  writeAhead?: readonly string[];
  project(event: ProjectionEvent, view: DocView): DocChange[];
}

/** What query functions read through: the store, and the live physical name of a collection. */
export interface ReadModelAccess {
  store: ReadStore;
  /** Physical name of a logical collection in its projection's live generation. */
  collection(logical: string): string;
}
