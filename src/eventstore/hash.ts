import { createHash } from 'node:crypto';
import type { StoredEvent } from './port';

/** prevHash of a stream's first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every depth: one byte sequence per value, on every store. */
export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if ('toJSON' in value && typeof value.toJSON === 'function') {
    return canonicalJson((value as { toJSON(): unknown }).toJSON());
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i += 1) {
      if (i > 0) out += ',';
      const item: unknown = value[i];
      out += item === undefined || typeof item === 'function' ? 'null' : canonicalJson(item);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  let out = '{';
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (item === undefined || typeof item === 'function') continue;
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:${canonicalJson(item)}`;
  }
  return `${out}}`;
};

/** The part of an event the hash covers: everything but its position (assigned by the store). */
export type HashedFields = Omit<StoredEvent, 'position' | 'metadata'> & {
  metadata: Omit<StoredEvent['metadata'], 'hash' | 'prevHash'>;
};

/**
 * The canonical JSON of the hashed fields, from data and metadata already in canonical JSON, so
 * an adapter that stores those strings serialises each value once. Keys in sorted order.
 */
export const canonicalEnvelope = (
  e: Omit<HashedFields, 'data' | 'metadata'>,
  dataJson: string,
  metadataJson: string,
): string =>
  `{"data":${dataJson},"id":${JSON.stringify(e.id)},"metadata":${metadataJson}` +
  `,"occurredAt":${JSON.stringify(e.occurredAt)},"recordedAt":${JSON.stringify(e.recordedAt)}` +
  `,"revision":${e.revision},"schemaVersion":${e.schemaVersion}` +
  `,"streamId":${JSON.stringify(e.streamId)},"type":${JSON.stringify(e.type)}}`;

export const chainHash = (prevHash: string, envelopeJson: string): string =>
  createHash('sha256').update(prevHash).update('\n').update(envelopeJson).digest('hex');

export const eventHash = (prevHash: string, event: HashedFields): string =>
  chainHash(
    prevHash,
    canonicalEnvelope(event, canonicalJson(event.data), canonicalJson(event.metadata)),
  );

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
