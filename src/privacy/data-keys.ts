import { randomBytes } from 'node:crypto';
import type { KeyStore } from './keystore/port';
import type { MasterKeys } from './master-keys';
import { DATA_KEY_BYTES } from './sealed-value';

/** An unwrapped data key. */
export interface DataKey {
  keyId: string;
  subject: string;
  key: Buffer;
}

export interface DataKeysOptions {
  /** Unwrapped keys kept in memory (least recently used go first). */
  cacheSize?: number;
  /**
   * How long an unwrapped key may be used from memory before the key store is asked again:
   * bounds how long another process keeps decrypting a lead it did not see being forgotten.
   */
  ttlMs?: number;
  now?: () => number;
}

type Entry = { key: DataKey; expires: number } | { key: null; expires: number };

/** Random, short, and free of ':' (the separator of sealed values). */
const newKeyId = (): string => randomBytes(12).toString('base64url');

/**
 * Per-subject data keys: created on first use, wrapped by the current master key in the key
 * store, kept unwrapped in a small LRU. A deleted key is remembered as gone (key ids are never
 * reused), so reading a forgotten lead's events asks the store once.
 */
export class DataKeys {
  private readonly cacheSize: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  /** keyId -> entry, in use order (oldest first). */
  private readonly entries = new Map<string, Entry>();
  private readonly keyIdOf = new Map<string, string>();

  constructor(
    readonly store: KeyStore,
    readonly master: MasterKeys,
    options: DataKeysOptions = {},
  ) {
    this.cacheSize = options.cacheSize ?? 10_000;
    this.ttlMs = options.ttlMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** A cached key (null: known deleted), or undefined when the store must be asked. */
  cached(keyId: string): DataKey | null | undefined {
    const entry = this.entries.get(keyId);
    if (!entry) return undefined;
    if (entry.key && entry.expires <= this.now()) {
      this.drop(keyId);
      return undefined;
    }
    this.entries.delete(keyId);
    this.entries.set(keyId, entry);
    return entry.key;
  }

  /** The key sealed values name; null when it was deleted (the lead was forgotten). */
  async byId(keyId: string): Promise<DataKey | null> {
    const cached = this.cached(keyId);
    if (cached !== undefined) return cached;
    const record = await this.store.get(keyId);
    if (!record) {
      this.remember(keyId, null);
      return null;
    }
    const key = { keyId, subject: record.subject, key: this.master.unwrap(record) };
    this.remember(keyId, key);
    return key;
  }

  /** The subject's key, made on first use; null when the subject was forgotten. */
  async forSubject(subject: string): Promise<DataKey | null> {
    const known = this.keyIdOf.get(subject);
    const cached = known === undefined ? undefined : this.cached(known);
    if (cached) return cached;
    // Straight to create: it returns the subject's key when it has one (or that it was forgotten).
    const mine = { keyId: newKeyId(), subject, key: randomBytes(DATA_KEY_BYTES) };
    const found = await this.store.create({
      ...this.master.wrap(mine.key, mine.keyId, subject),
      createdAt: new Date(this.now()).toISOString(),
    });
    if (found.kind !== 'key') return null;
    const { record } = found;
    const key =
      mine.keyId === record.keyId
        ? mine
        : { keyId: record.keyId, subject, key: this.master.unwrap(record) };
    this.remember(key.keyId, key);
    return key;
  }

  /** Deletes the subject's key for good; true when there was one. */
  async forget(subject: string): Promise<boolean> {
    const deleted = await this.store.forget(subject);
    this.evict(subject);
    return deleted;
  }

  /** Drops the subject's key from memory (another process forgot it). */
  evict(subject: string): void {
    const keyId = this.keyIdOf.get(subject);
    if (keyId !== undefined) this.remember(keyId, null);
    for (const [id, entry] of this.entries) {
      if (entry.key?.subject === subject) this.remember(id, null);
    }
  }

  private remember(keyId: string, key: DataKey | null): void {
    this.drop(keyId);
    this.entries.set(keyId, { key, expires: this.now() + this.ttlMs });
    if (key) this.keyIdOf.set(key.subject, keyId);
    while (this.entries.size > this.cacheSize) {
      this.drop(this.entries.keys().next().value!);
    }
  }

  private drop(keyId: string): void {
    const entry = this.entries.get(keyId);
    if (!entry) return;
    this.entries.delete(keyId);
    if (entry.key && this.keyIdOf.get(entry.key.subject) === keyId) {
      this.keyIdOf.delete(entry.key.subject);
    }
  }
}
