import { join } from 'node:path';
import Database from 'better-sqlite3';
import { loadConfig } from '../../src/app/config';
import type { EventStore, StoredEvent } from '../../src/eventstore/port';
import { SqliteEventStore } from '../../src/eventstore/sqlite';
import { withPrivacy } from '../../src/privacy/wire';

/**
 * What a crash must not do to the event log: lose an acknowledged write, write one twice,
 * leave a gap in a stream, or break a hash chain. Checked on the store after the process died.
 */

/** A mutation the server answered with success: what it promised is in the log. */
export interface Acknowledged {
  /** The client's idempotency key, and the actor it is scoped to (keys are per actor). */
  key: string;
  actorId: string;
  streamId: string;
  /** Stream revision after the write, and global position of its last event. */
  version: number;
  position: string;
  eventTypes: string[];
}

/** The key as the command handler stores it on the events (`actor \0 key`). */
export const scopedKey = (actorId: string, key: string): string => `${actorId}\u0000${key}`;

export interface LedgerReport {
  events: number;
  streams: number;
  /** Every broken promise, one line each (empty: the ledger is intact). */
  problems: string[];
}

/**
 * Reads the whole log and checks: event ids unique; each stream's revisions 0..n in log order;
 * each idempotency key written by one append (one stream, consecutive revisions, one
 * recordedAt); every acknowledged write present where its answer said, with as many events
 * as it answered; no refused write present; every stream's hash chain verifies.
 */
export const checkLedger = async (
  events: EventStore,
  acknowledged: readonly Acknowledged[],
  /** Mutations answered with an error (`actorId`, `key`): a refused mutation writes nothing. */
  refused: ReadonlyArray<{ actorId: string; key: string }> = [],
): Promise<LedgerReport> => {
  const problems: string[] = [];
  const ids = new Set<string>();
  const streams = new Map<string, StoredEvent[]>();
  const byKey = new Map<string, StoredEvent[]>();
  let count = 0;
  for await (const event of events.readAll()) {
    count += 1;
    if (ids.has(event.id)) problems.push(`event id ${event.id} appears twice`);
    ids.add(event.id);
    const stream = streams.get(event.streamId) ?? [];
    if (stream.length !== event.revision) {
      problems.push(
        `${event.streamId}: revision ${event.revision} at position ${event.position}, expected ${stream.length}`,
      );
    }
    stream.push(event);
    streams.set(event.streamId, stream);
    const key = event.metadata.idempotencyKey;
    if (key !== undefined) byKey.set(key, [...(byKey.get(key) ?? []), event]);
  }
  for (const [key, written] of byKey) {
    const first = written[0]!;
    const oneAppend = written.every(
      (e, i) =>
        e.streamId === first.streamId &&
        e.revision === first.revision + i &&
        e.recordedAt === first.recordedAt,
    );
    if (!oneAppend) {
      problems.push(
        `idempotency key ${JSON.stringify(key)} was written by more than one append: ${written
          .map((e) => `${e.streamId}@${e.revision}`)
          .join(', ')}`,
      );
    }
  }
  for (const ack of acknowledged) {
    const written = byKey.get(scopedKey(ack.actorId, ack.key)) ?? [];
    const last = written[written.length - 1];
    if (!last) {
      problems.push(`acknowledged ${ack.key} (${ack.streamId}@${ack.version}) is not in the log`);
      continue;
    }
    const where = `${last.streamId}@${last.revision} position ${last.position}`;
    if (
      last.streamId !== ack.streamId ||
      last.revision !== ack.version ||
      last.position !== ack.position
    ) {
      problems.push(
        `acknowledged ${ack.key} as ${ack.streamId}@${ack.version} position ${ack.position}, log has ${where}`,
      );
    }
    const types = written.map((e) => e.type);
    if (JSON.stringify(types) !== JSON.stringify(ack.eventTypes)) {
      problems.push(
        `acknowledged ${ack.key} wrote ${ack.eventTypes.join(',')}, log has ${types.join(',')}`,
      );
    }
  }
  for (const { actorId, key } of refused) {
    const written = byKey.get(scopedKey(actorId, key));
    if (written) {
      problems.push(
        `refused ${key} was written anyway: ${written.map((e) => `${e.streamId}@${e.revision}`).join(', ')}`,
      );
    }
  }
  for (const streamId of streams.keys()) {
    const verification = await events.verify(streamId);
    if (!verification.ok) {
      problems.push(
        `${streamId}: hash chain broken at ${verification.firstBadPosition} (${verification.reason})`,
      );
    }
  }
  return { events: count, streams: streams.size, problems };
};

/** `PRAGMA integrity_check` of a SQLite file ('ok' when sound); opening it recovers its WAL. */
export const integrityOf = (file: string): string => {
  const db = new Database(file);
  try {
    const rows = db.pragma('integrity_check') as Array<{ integrity_check: string }>;
    return rows.map((r) => r.integrity_check).join('; ');
  } finally {
    db.close();
  }
};

/**
 * The event log as the app opens it on this DATA_DIR (`env`: MONGODB_URI and MONGODB_DB when the
 * read models, and so the PII keys, are on MongoDB): the SQLite file behind the PII vault, so
 * what is read is what the app's projections read. Closing it closes the file and the keys.
 */
export const openAppEvents = (dataDir: string, env: Record<string, string>): Promise<EventStore> =>
  withPrivacy(
    new SqliteEventStore(join(dataDir, 'events.db')),
    loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, ...env }),
    { followErasures: false },
  );
