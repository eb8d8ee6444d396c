import { alreadyApplied, applyChange, type Owner } from '../readstore/coalesce';
import type { Checkpoint, Doc, DocWrite, PositionedChange, ReadStore } from '../readstore/port';

/** One document as the workspace knows it; its `owned` objects are changed in place. */
interface Entry extends Owner {
  /** Undefined: known not to exist (never created, or deleted). */
  doc: Doc | undefined;
  /** Position of the last change applied here (the doc's `_pos`; kept for deletions too). */
  position: string | undefined;
  /** `_pos` when read from the store: changes up to it were applied by an earlier run. */
  stored: string | undefined;
  /** Changed since read (or created): to be written. */
  dirty: boolean;
}

/** Ids per collection remembered as written, before the collection is treated as unknown. */
const MAX_REMEMBERED = 8_000_000;

/** FNV-1a over a collection's seed and an id, 32 bits. */
const hash32 = (seed: number, text: string): number => {
  let h = seed;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
};

/** 2^26 bits (8 MB): 0.4% false positives with 2M ids, 7% with 10M. */
const FILTER_BITS = 26;

/**
 * Which ids of the collections that started empty a write has stored: a Bloom filter (two bits
 * per id) over all of them at once. A false positive costs a needless read, never a wrong
 * document. (A Set of 2M ids took ~130 MB of heap; this takes 8 MB whatever the count.)
 */
class WrittenIds {
  private bits: Int32Array | undefined;
  /** Per collection: its seed, and about how many ids it added. */
  private readonly collections = new Map<string, { seed: number; count: number }>();

  constructor(collections: Iterable<string>) {
    for (const name of collections) {
      this.collections.set(name, { seed: hash32(0x811c9dc5, name), count: 0 });
    }
  }

  /** Whether the collection is followed (it started empty and has not outgrown the filter). */
  follows(collection: string): boolean {
    return this.collections.has(collection);
  }

  /** False: surely not written. Only for a collection it follows. */
  has(collection: string, id: string): boolean {
    const c = this.collections.get(collection)!;
    if (this.bits === undefined) return false;
    const h = hash32(c.seed, id);
    const a = h >>> (32 - FILTER_BITS);
    const b = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> (32 - FILTER_BITS);
    return (
      (this.bits[a >>> 5]! & (1 << (a & 31))) !== 0 && (this.bits[b >>> 5]! & (1 << (b & 31))) !== 0
    );
  }

  add(collection: string, id: string): void {
    const c = this.collections.get(collection);
    if (!c) return;
    this.bits ??= new Int32Array(2 ** (FILTER_BITS - 5));
    const h = hash32(c.seed, id);
    const a = h >>> (32 - FILTER_BITS);
    const b = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> (32 - FILTER_BITS);
    const [ia, ma, ib, mb] = [a >>> 5, 1 << (a & 31), b >>> 5, 1 << (b & 31)];
    if ((this.bits[ia]! & ma) === 0 || (this.bits[ib]! & mb) === 0) c.count += 1;
    this.bits[ia]! |= ma;
    this.bits[ib]! |= mb;
    // Past this many, the collection is treated as unknown: every document is read first.
    if (c.count > MAX_REMEMBERED) this.collections.delete(collection);
  }

  forget(collection: string): void {
    this.collections.delete(collection);
  }
}

/**
 * The documents of generations being caught up in bulk: kept in memory, changed in place event by
 * event, and written whole by `write` (one `writeDocuments`, with the checkpoints) instead of
 * read, merged and rewritten per batch. A write then forgets them all: memory holds what one
 * interval between writes touched, not the read model (keeping them measured slower, the larger
 * heap costing more in garbage collection than reading the few that come back costs).
 *
 * A write runs while the next interval is projected (the SQLite store writes on another thread):
 * its documents still answer reads, as what the store will hold, until `settle` is called once
 * it has ended (between chunks: never between a `load` and the reads it was for). They are
 * never changed (the store may still be serialising them); a change to one applies to a copy,
 * which the next write writes again.
 *
 * Whether a document missing from memory may be in the store: in a collection that was empty
 * when the catch-up began, only if a write wrote it. Those are remembered by a hash of their id
 * (a collision costs a needless read, never a wrong document). Elsewhere, always.
 */
export class Workspace {
  private docs = new Map<string, Map<string, Entry>>();
  /** The documents of the last write, by collection, until `settle`; read-only. */
  private flying = new Map<string, Map<string, Entry>>();
  private writing: Promise<void> | undefined;
  /** A write failed (see `settle`). */
  private failure: { error: unknown } | undefined;
  /** For the collections that started empty: the ids of documents the store now holds. */
  private readonly written: WrittenIds;
  /** Entries in `docs`. */
  size = 0;

  constructor(
    private readonly store: ReadStore,
    /** Collections known to be empty at the start (fresh generations). */
    emptyCollections: Iterable<string>,
  ) {
    this.written = new WrittenIds(emptyCollections);
  }

  /** Whether the workspace knows the document's state (in memory, or surely absent). */
  knows(collection: string, id: string): boolean {
    if (this.docs.get(collection)?.has(id) || this.flying.get(collection)?.has(id)) return true;
    return this.written.follows(collection) && !this.written.has(collection, id);
  }

  /** A document the workspace knows (see `knows`); undefined when absent. */
  get(collection: string, id: string): Doc | undefined {
    const entry = this.docs.get(collection)?.get(id);
    if (!entry) return this.flying.get(collection)?.get(id)?.doc;
    // Handed out: the reader may keep its nested objects, which are no longer changed in place.
    entry.owned = undefined;
    return entry.doc;
  }

  /** Reads from the store, in one call per collection, the documents it does not know yet. */
  async load(refs: ReadonlyArray<{ collection: string; id: string }>): Promise<void> {
    const wanted = new Map<string, Set<string>>();
    for (const { collection, id } of refs) {
      if (this.knows(collection, id)) continue;
      let ids = wanted.get(collection);
      if (!ids) wanted.set(collection, (ids = new Set()));
      ids.add(id);
    }
    for (const [collection, idSet] of wanted) {
      const ids = [...idSet];
      const found = await this.store.getMany(collection, ids);
      const docs = this.collection(collection);
      ids.forEach((id, i) => {
        // Known meanwhile (another load of the same chunk): what memory holds is newer.
        if (docs.has(id)) return;
        const doc = found[i];
        docs.set(id, { doc, position: doc?._pos, stored: doc?._pos, dirty: false });
        this.size += 1;
      });
    }
  }

  /**
   * Applies a change to a document it knows, unless the document was read from the store with
   * the change's position or a later one (an interrupted run wrote it: the store's guard).
   * False, and nothing done, when it does not know the document (see `knows`).
   */
  apply(change: PositionedChange): boolean {
    const docs = this.collection(change.collection);
    let entry = docs.get(change.id);
    if (!entry) {
      const flown = this.flying.get(change.collection)?.get(change.id);
      if (flown) {
        // Top level copied: changes copy nested objects on write (applyChange).
        const doc = flown.doc && { ...flown.doc };
        entry = { doc, position: flown.position, stored: flown.stored, dirty: false };
      } else if (this.knows(change.collection, change.id)) {
        entry = { doc: undefined, position: undefined, stored: undefined, dirty: false };
      } else return false;
      docs.set(change.id, entry);
      this.size += 1;
    }
    if (alreadyApplied(entry.stored, change.position)) return true;
    entry.doc = applyChange(entry.doc, change, entry);
    entry.position = change.position;
    entry.dirty = true;
    return true;
  }

  /** A write has not ended yet (or failed). */
  get busy(): boolean {
    return this.writing !== undefined;
  }

  /**
   * Starts writing every changed document (of `collections`, when given) whole, with the
   * checkpoints, in one call, and forgets them but as the write's (see the class); resolves once
   * written. Between chunks only, and one write at a time: wait for the previous one first.
   */
  write(checkpoints: Checkpoint[], collections?: ReadonlySet<string>): Promise<void> {
    if (this.failure) throw this.failure.error;
    if (this.writing) throw new Error('Workspace: a write is under way');
    const taken = new Map<string, Map<string, Entry>>();
    for (const [collection, docs] of this.docs) {
      if (!collections || collections.has(collection)) taken.set(collection, docs);
    }
    const writes: DocWrite[] = [];
    for (const [collection, docs] of taken) {
      // In id order: a store's primary-key index takes sorted inserts far faster.
      const ids: string[] = [];
      for (const [id, entry] of docs) if (entry.dirty) ids.push(id);
      ids.sort();
      for (const id of ids) {
        const { position, doc } = docs.get(id)!;
        writes.push({ collection, id, position: position!, doc });
      }
    }
    const write = this.store.writeDocuments(writes, checkpoints);
    // The store holds them once the write ends; until then `flying` answers for them.
    for (const [collection, docs] of taken) {
      this.docs.delete(collection);
      this.size -= docs.size;
      if (!this.written.follows(collection)) continue;
      for (const [id, entry] of docs)
        if (entry.dirty && entry.doc) this.written.add(collection, id);
    }
    this.flying = taken;
    this.writing = write.then(
      () => {
        this.writing = undefined;
      },
      (error: unknown) => {
        // What it holds now assumes the write happened: nothing more may be written from it.
        this.failure = { error };
        throw error;
      },
    );
    // Handled here too: the caller may await it only after projecting the next interval.
    this.writing.catch(() => undefined);
    return this.writing;
  }

  /**
   * Forgets the documents of the last write once it has ended (the store has them). Throws the
   * error of a write that failed: the workspace is then of no further use.
   */
  settle(): void {
    if (this.failure) throw this.failure.error;
    if (this.writing === undefined && this.flying.size > 0) this.flying = new Map();
  }

  /** Drops everything about these collections, changes not written included. */
  forget(collections: Iterable<string>): void {
    for (const name of collections) {
      this.size -= this.docs.get(name)?.size ?? 0;
      this.docs.delete(name);
      this.flying.delete(name);
      this.written.forget(name);
    }
  }

  private collection(name: string): Map<string, Entry> {
    let docs = this.docs.get(name);
    if (!docs) this.docs.set(name, (docs = new Map<string, Entry>()));
    return docs;
  }
}
