/**
 * The key store port: per-lead data keys, each wrapped (encrypted) by a master key, on the
 * read-store backend. Adapters: `sqlite.ts` (its own file under DATA_DIR) and `mongo.ts`
 * (collections beside the read models; plain CRUD, so FerretDB 1.x serves it).
 * Deleting a subject's keys is the erasure: it must not be undoable from the store's files.
 */

export interface KeyRecord {
  /** Random, named in every value sealed with the key. */
  keyId: string;
  /** Whose key it is: the lead id. One key per subject. */
  subject: string;
  /** Id of the master key that wrapped it. */
  masterKeyId: string;
  /** The data key sealed by that master key (base64url iv | ciphertext | tag). */
  wrapped: string;
  createdAt: string;
}

/** What a subject has: its key, or the fact that it was forgotten (no key may be made again). */
export type SubjectKey =
  { kind: 'key'; record: KeyRecord } | { kind: 'forgotten' } | { kind: 'none' };

export interface KeyStore {
  /**
   * Stores the subject's first key. When it already has one (a concurrent writer won) that one
   * is returned instead; when the subject was forgotten, nothing is stored.
   */
  create(record: KeyRecord): Promise<SubjectKey>;
  get(keyId: string): Promise<KeyRecord | undefined>;
  bySubject(subject: string): Promise<SubjectKey>;
  /**
   * Deletes the subject's keys for good (no copy left in the store's files) and remembers the
   * subject as forgotten. Idempotent; true when a key was deleted by this call.
   */
  forget(subject: string): Promise<boolean>;
  /** Keys in `keyId` order after `afterKeyId` ('' from the start): for rotation. */
  list(afterKeyId: string, limit: number): Promise<KeyRecord[]>;
  /** Replaces a key's wrapping if it is still wrapped by `expectedMasterKeyId`; false otherwise. */
  rewrap(
    keyId: string,
    expectedMasterKeyId: string,
    next: { masterKeyId: string; wrapped: string },
  ): Promise<boolean>;
  /** Leaves no replaced or deleted content in the store's files (after a rotation). */
  purge(): Promise<void>;
  /** Small named positions (how far the erasure follower has read the log). */
  readCheckpoint(name: string): Promise<string | undefined>;
  writeCheckpoint(name: string, position: string): Promise<void>;
  close(): Promise<void>;
}
