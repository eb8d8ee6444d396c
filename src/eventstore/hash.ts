import { createHash } from 'node:crypto';
import type { StoredEvent } from './port';

/** prevHash of a stream's first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every depth: one byte sequence per value, on every store. */
export const canonicalJson = (value: unknown): string => {
  if (value !== null && typeof value === 'object' && 'toJSON' in value) {
    return canonicalJson((value as { toJSON(): unknown }).toJSON());
  }
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value);
    return s === undefined ? 'null' : s;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
};

/** The part of an event the hash covers: everything but its position (assigned by the store). */
export type HashedFields = Omit<StoredEvent, 'position' | 'metadata'> & {
  metadata: Omit<StoredEvent['metadata'], 'hash' | 'prevHash'>;
};

export const eventHash = (prevHash: string, event: HashedFields): string =>
  createHash('sha256')
    .update(prevHash)
    .update('\n')
    .update(
      canonicalJson({
        id: event.id,
        type: event.type,
        schemaVersion: event.schemaVersion,
        streamId: event.streamId,
        revision: event.revision,
        occurredAt: event.occurredAt,
        recordedAt: event.recordedAt,
        data: event.data,
        metadata: event.metadata,
      }),
    )
    .digest('hex');

/** Re-walks a stream's chain: revisions contiguous from 0, each link and hash as recomputed. */
export const verifyChain = (events: Iterable<StoredEvent>) => {
  let prevHash = GENESIS_HASH;
  let expectedRevision = 0;
  let eventsChecked = 0;
  for (const event of events) {
    eventsChecked += 1;
    const { hash, prevHash: storedPrev, ...metadata } = event.metadata;
    const fail = (reason: string) => ({
      ok: false,
      eventsChecked,
      firstBadPosition: event.position,
      reason,
    });
    if (event.revision !== expectedRevision) {
      return fail(`revision ${event.revision} where ${expectedRevision} was expected`);
    }
    if (storedPrev !== prevHash) return fail('prevHash does not link to the previous event');
    if (eventHash(prevHash, { ...event, metadata }) !== hash) {
      return fail('hash does not match the event content');
    }
    prevHash = hash;
    expectedRevision += 1;
  }
  return { ok: true, eventsChecked, firstBadPosition: null, reason: null };
};
