import { alreadyApplied, applyChange } from '../readstore/coalesce';
import type { Checkpoint, Doc, DocWrite, PositionedChange, ReadStore } from '../readstore/port';

/** One document as the workspace knows it. */
interface Entry {
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

/** FNV-1a folded to 30 bits: small integers, which V8 keeps unboxed in a Set. */
const hash30 = (text: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 2;
};

/**
 * The documents of generations being caught up in bulk: kept in memory, changed in place event by
 * event, and written whole by `flush` (one `writeDocuments`, with the checkpoints) instead of
 * read, merged and rewritten per batch. A flush then forgets them all: memory holds what one
 * interval between flushes touched, not the read model (keeping them measured slower, the larger
 * heap costing more in garbage collection than reading the few that come back costs).
 *
 * Whether a document missing from memory may be in the store: in a collection that was empty
 * when the catch-up began, only if a flush wrote it. Those are remembered by a hash of their id
 * (a collision costs a needless read, never a wrong document). Elsewhere, always.
 */
export class Workspace {
  private readonly docs = new Map<string, Map<string, Entry>>();
  /** Per collection that started empty: hashes of the ids of documents the store now holds. */
  private readonly written = new Map<string, Set<number>>();
  /** Entries in `docs`. */
  size = 0;

  constructor(
    private readonly store: ReadStore,
    /** Collections known to be empty at the start (fresh generations). */
    emptyCollections: Iterable<string>,
  ) {
    for (const name of emptyCollections) this.written.set(name, new Set());
  }

  /** Whether the workspace knows the document's state (in memory, or surely absent). */
  knows(collection: string, id: string): boolean {
    if (this.docs.get(collection)?.has(id)) return true;
    const written = this.written.get(collection);
    return written !== undefined && !written.has(hash30(id));
  }

  /** A document the workspace knows (see `knows`); undefined when absent. */
  get(collection: string, id: string): Doc | undefined {
    return this.docs.get(collection)?.get(id)?.doc;
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
      if (!this.knows(change.collection, change.id)) return false;
      entry = { doc: undefined, position: undefined, stored: undefined, dirty: false };
      docs.set(change.id, entry);
      this.size += 1;
    }
    if (alreadyApplied(entry.stored, change.position)) return true;
    entry.doc = applyChange(entry.doc, change);
    entry.position = change.position;
    entry.dirty = true;
    return true;
  }

  /** Writes every changed document whole, with the checkpoints, in one call; then forgets all. */
  async flush(checkpoints: Checkpoint[]): Promise<void> {
    const writes: DocWrite[] = [];
    for (const [collection, docs] of this.docs) {
      // In id order: a store's primary-key index takes sorted inserts far faster.
      const ids = [...docs.keys()].filter((id) => docs.get(id)!.dirty).sort();
      for (const id of ids) {
        const { position, doc } = docs.get(id)!;
        writes.push({ collection, id, position: position!, doc });
      }
    }
    await this.store.writeDocuments(writes, checkpoints);
    for (const [collection, docs] of this.docs) {
      const written = this.written.get(collection);
      if (!written) continue;
      for (const [id, entry] of docs) if (entry.doc) written.add(hash30(id));
      // Past this many, the collection is treated as unknown: every document is read first.
      if (written.size > MAX_REMEMBERED) this.written.delete(collection);
    }
    this.docs.clear();
    this.size = 0;
  }

  /** Drops everything about these collections, changes not written included. */
  forget(collections: Iterable<string>): void {
    for (const name of collections) {
      this.size -= this.docs.get(name)?.size ?? 0;
      this.docs.delete(name);
      this.written.delete(name);
    }
  }

  private collection(name: string): Map<string, Entry> {
    let docs = this.docs.get(name);
    if (!docs) this.docs.set(name, (docs = new Map<string, Entry>()));
    return docs;
  }
}
