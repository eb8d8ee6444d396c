/**
 * The read store port: documents in named collections, written only by the projection runner
 * through position-guarded batches, read by the query functions. Adapters: `sqlite.ts`
 * (embedded default) and `mongo.ts` (MongoDB; tested on FerretDB).
 */

export type Scalar = string | number | boolean | null;
export type Value = Scalar | Value[] | { [key: string]: Value };

/** A stored document. `_pos` is the position of the last event that changed it. */
export interface Doc {
  _id: string;
  _pos?: string;
  [field: string]: Value | undefined;
}

/**
 * One change to one document. Field names may be dotted paths into nested objects
 * (`stages.MQL`); a missing document is created by every op but `delete`.
 */
export type Op =
  | { kind: 'set'; fields: Record<string, Value> }
  | { kind: 'setOnInsert'; fields: Record<string, Value> }
  | { kind: 'inc'; fields: Record<string, number> }
  | { kind: 'max'; fields: Record<string, number | string> }
  | { kind: 'min'; fields: Record<string, number | string> }
  /** Appends, keeping only the newest `cap` elements. */
  | { kind: 'push'; field: string; values: Value[]; cap: number }
  | { kind: 'delete' };

/** What a projection returns for one event: the runner adds the event's position. */
export interface DocChange {
  collection: string;
  id: string;
  op: Op;
}

export interface PositionedChange extends DocChange {
  position: string;
}

/** A whole document as of `position` (its `_pos`), or its deletion at `position`. */
export interface DocWrite {
  collection: string;
  id: string;
  position: string;
  /** The document after every change up to `position`, `_id` and `_pos` included. */
  doc: Doc | undefined;
}

export interface Checkpoint {
  name: string;
  position: string;
}

export type Condition =
  | Scalar
  | {
      eq?: Scalar;
      ne?: Scalar;
      in?: Scalar[];
      gt?: Scalar;
      gte?: Scalar;
      lt?: Scalar;
      lte?: Scalar;
    };

/** Conditions in `where` all hold, and every filter in `and`, and at least one in `or`. */
export interface Filter {
  where?: Record<string, Condition>;
  and?: Filter[];
  or?: Filter[];
}

export interface SortKey {
  field: string;
  direction: 'asc' | 'desc';
}

export interface FindOptions {
  filter?: Filter;
  /** `_id` ascending is always appended as the tie-breaker. Sort fields must not be null. */
  sort?: SortKey[];
  /** Keyset: the sort values of the last document seen, then its `_id`. */
  after?: Scalar[];
  limit?: number;
}

export interface SumOptions {
  filter?: Filter;
  groupBy: string[];
  /** Numeric fields summed per group (missing counts as 0). */
  fields: string[];
}

export interface SumRow {
  key: Record<string, Scalar>;
  count: number;
  sums: Record<string, number>;
}

/** A named lease: who holds it and until when (ms since the epoch, the holder's clock). */
export interface Lease {
  name: string;
  owner: string;
  expiresAt: number;
}

export interface IndexSpec {
  fields: string[];
  unique?: boolean;
}

export interface CollectionSpec {
  name: string;
  indexes: IndexSpec[];
}

export interface ReadStore {
  /** Creates the collection and its indexes if missing (idempotent). */
  ensureCollection(spec: CollectionSpec): Promise<void>;
  dropCollection(name: string): Promise<void>;

  get(collection: string, id: string): Promise<Doc | undefined>;
  /** Documents in the order of `ids`; missing ones as undefined (what DataLoader wants). */
  getMany(collection: string, ids: readonly string[]): Promise<Array<Doc | undefined>>;
  find(collection: string, options?: FindOptions): Promise<Doc[]>;
  count(collection: string, filter?: Filter): Promise<number>;
  /** Group and sum, sorted by the group key. */
  sum(collection: string, options: SumOptions): Promise<SumRow[]>;

  /**
   * Applies the changes in order, each only where the document's `_pos` is older than the
   * change's position (exactly-once effect on replay), then stores the checkpoints.
   */
  applyBatch(changes: PositionedChange[], checkpoints: Checkpoint[]): Promise<void>;
  /**
   * Replaces (or deletes) whole documents, each only where the stored one is older than the
   * write's position, then stores the checkpoints; as atomic as `applyBatch`. What a bulk
   * catch-up that kept its documents in memory writes, without reading them back.
   */
  writeDocuments(writes: DocWrite[], checkpoints: Checkpoint[]): Promise<void>;
  /**
   * Adds whole documents (`_id` and `_pos` included) to a collection being loaded: none of
   * them is there yet, and nobody else writes it meanwhile (a generation loaded from a staged
   * build). Plain inserts, no guard: each document is written once. An id already there fails.
   */
  insertDocuments(collection: string, docs: Doc[]): Promise<void>;
  getCheckpoint(name: string): Promise<string | null>;

  /** Small named values (projection generations and versions); one write is atomic. */
  readMeta(key: string): Promise<Value | undefined>;
  writeMeta(key: string, value: Value): Promise<void>;

  /**
   * Takes or renews the lease `name` for `owner` until `now + ttlMs`: true when it is free,
   * expired, or already `owner`'s; false, and nothing changed, while another owner holds it.
   * Atomic on its own (one conditional write), so two processes never both get it.
   */
  acquireLease(name: string, owner: string, now: number, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `owner` holds it (a successor need not wait for it to expire). */
  releaseLease(name: string, owner: string): Promise<void>;
  readLease(name: string): Promise<Lease | undefined>;
  /**
   * Finishes batches a crashed writer left half-written (stores without transactions; 0 where
   * a batch is atomic). Run before projecting what another process wrote: a projection that
   * reads its own documents must not see half a batch. Safe beside live writers.
   */
  recover(): Promise<number>;

  close(): Promise<void>;
}

/** An empty scratch read store (embedded) for one staged build; `dispose` deletes it. */
export interface StagingStore {
  store: ReadStore;
  dispose(): Promise<void>;
}
