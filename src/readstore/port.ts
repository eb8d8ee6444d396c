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
  getCheckpoint(name: string): Promise<string | null>;

  /** Small named values (projection generations and versions); one write is atomic. */
  readMeta(key: string): Promise<Value | undefined>;
  writeMeta(key: string, value: Value): Promise<void>;

  close(): Promise<void>;
}
