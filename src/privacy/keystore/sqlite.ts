import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { GroupCommit } from '../../sqlite/group-commit';
import type { KeyRecord, KeyStore, SubjectKey } from './port';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS data_keys (
  key_id        TEXT PRIMARY KEY NOT NULL,
  subject       TEXT NOT NULL UNIQUE,
  master_key_id TEXT NOT NULL,
  wrapped       TEXT NOT NULL,
  created_at    TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS forgotten_subjects (
  subject      TEXT PRIMARY KEY NOT NULL,
  forgotten_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints (
  name     TEXT PRIMARY KEY NOT NULL,
  position TEXT NOT NULL
) WITHOUT ROWID;
`;

interface Row {
  key_id: string;
  subject: string;
  master_key_id: string;
  wrapped: string;
  created_at: string;
}

const toRecord = (row: Row): KeyRecord => ({
  keyId: row.key_id,
  subject: row.subject,
  masterKeyId: row.master_key_id,
  wrapped: row.wrapped,
  createdAt: row.created_at,
});

/**
 * Data keys in their own SQLite file. `secure_delete` zeroes deleted rows and freed pages, and
 * each erasure ends with a TRUNCATE checkpoint, so a deleted key survives neither in the file
 * nor in its write-ahead log. Durability as the embedded event store's (WAL, `synchronous =
 * FULL`): a key is on disk before its caller hears of it, so no event can outlive its key in a
 * power loss. Keys asked for in the same turn of the event loop (new leads of concurrent
 * requests) are created by one transaction (`GroupCommit`), one fsync for all of them.
 */
export class SqliteKeyStore implements KeyStore {
  private readonly db: Database.Database;
  private readonly statements;
  private readonly creations: GroupCommit<Row, SubjectKey>;
  private readonly forgetTx;

  constructor(readonly file: string) {
    mkdirSync(dirname(resolve(file)), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('secure_delete = ON');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    const db = this.db;
    this.statements = {
      get: db.prepare<[string], Row>('SELECT * FROM data_keys WHERE key_id = ?'),
      bySubject: db.prepare<[string], Row>('SELECT * FROM data_keys WHERE subject = ?'),
      forgotten: db
        .prepare<[string], number>('SELECT 1 FROM forgotten_subjects WHERE subject = ?')
        .pluck(),
      insert: db.prepare<[Row]>(
        `INSERT INTO data_keys (key_id, subject, master_key_id, wrapped, created_at)
         VALUES (@key_id, @subject, @master_key_id, @wrapped, @created_at)`,
      ),
      remove: db.prepare<[string]>('DELETE FROM data_keys WHERE subject = ?'),
      tombstone: db.prepare<[string, string]>(
        'INSERT OR IGNORE INTO forgotten_subjects (subject, forgotten_at) VALUES (?, ?)',
      ),
      list: db.prepare<[string, number], Row>(
        'SELECT * FROM data_keys WHERE key_id > ? ORDER BY key_id LIMIT ?',
      ),
      rewrap: db.prepare<[string, string, string, string]>(
        'UPDATE data_keys SET master_key_id = ?, wrapped = ? WHERE key_id = ? AND master_key_id = ?',
      ),
      checkpoint: db
        .prepare<[string], string>('SELECT position FROM checkpoints WHERE name = ?')
        .pluck(),
      saveCheckpoint: db.prepare<[string, string]>(
        `INSERT INTO checkpoints (name, position) VALUES (?, ?)
         ON CONFLICT (name) DO UPDATE SET position = excluded.position`,
      ),
    };
    this.creations = new GroupCommit(db, (row: Row): SubjectKey => {
      if (this.statements.forgotten.get(row.subject) !== undefined) return { kind: 'forgotten' };
      const existing = this.statements.bySubject.get(row.subject);
      if (existing) return { kind: 'key', record: toRecord(existing) };
      this.statements.insert.run(row);
      return { kind: 'key', record: toRecord(row) };
    });
    this.forgetTx = db.transaction((subject: string, at: string): boolean => {
      this.statements.tombstone.run(subject, at);
      return this.statements.remove.run(subject).changes > 0;
    });
  }

  create(record: KeyRecord): Promise<SubjectKey> {
    return this.creations.write({
      key_id: record.keyId,
      subject: record.subject,
      master_key_id: record.masterKeyId,
      wrapped: record.wrapped,
      created_at: record.createdAt,
    });
  }

  get(keyId: string): Promise<KeyRecord | undefined> {
    return run(() => {
      const row = this.statements.get.get(keyId);
      return row && toRecord(row);
    });
  }

  bySubject(subject: string): Promise<SubjectKey> {
    return run((): SubjectKey => {
      const row = this.statements.bySubject.get(subject);
      if (row) return { kind: 'key', record: toRecord(row) };
      return this.statements.forgotten.get(subject) !== undefined
        ? { kind: 'forgotten' }
        : { kind: 'none' };
    });
  }

  forget(subject: string): Promise<boolean> {
    return run(() => {
      // Keys asked for before this erasure are created (and then deleted) first, in call order.
      this.creations.flush();
      const deleted = this.forgetTx.immediate(subject, new Date().toISOString());
      this.truncateWal();
      return deleted;
    });
  }

  purge(): Promise<void> {
    return run(() => this.truncateWal());
  }

  /** The WAL still holds pages as they were before a delete or update: copy back and empty it. */
  private truncateWal(): void {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  list(afterKeyId: string, limit: number): Promise<KeyRecord[]> {
    return run(() => this.statements.list.all(afterKeyId, limit).map(toRecord));
  }

  rewrap(
    keyId: string,
    expectedMasterKeyId: string,
    next: { masterKeyId: string; wrapped: string },
  ): Promise<boolean> {
    return run(
      () =>
        this.statements.rewrap.run(next.masterKeyId, next.wrapped, keyId, expectedMasterKeyId)
          .changes === 1,
    );
  }

  readCheckpoint(name: string): Promise<string | undefined> {
    return run(() => this.statements.checkpoint.get(name));
  }

  writeCheckpoint(name: string, position: string): Promise<void> {
    return run(() => {
      this.statements.saveCheckpoint.run(name, position);
    });
  }

  close(): Promise<void> {
    if (this.db.open) {
      this.creations.flush();
      this.truncateWal();
      this.db.close();
    }
    return Promise.resolve();
  }
}

/** better-sqlite3 is synchronous: a thrown error becomes a rejected promise. */
const run = <T>(work: () => T): Promise<T> => new Promise((resolve) => resolve(work()));
