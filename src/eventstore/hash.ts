import { createHash } from 'node:crypto';
import type { StoredEvent, Verification } from './port';

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

/**
 * Checks one stream's chain an event at a time, in the order given (revision order for a stream
 * read, log order for a whole-log pass): revisions contiguous from 0, each link and hash as
 * recomputed. After the first failure it only counts; `result()` reports that failure.
 */
export class ChainCheck {
  private prevHash = GENESIS_HASH;
  private expectedRevision = 0;
  private checked = 0;
  private failure: Verification | null = null;

  /** Adds the stream's next event; false once the chain is broken (at this event or before). */
  add(event: StoredEvent): boolean {
    this.checked += 1;
    if (this.failure) return false;
    const { hash, prevHash: storedPrev, ...metadata } = event.metadata;
    const fail = (reason: string) => {
      this.failure = {
        ok: false,
        eventsChecked: this.checked,
        firstBadPosition: event.position,
        reason,
      };
      return false;
    };
    if (event.revision !== this.expectedRevision) {
      return fail(`revision ${event.revision} where ${this.expectedRevision} was expected`);
    }
    if (storedPrev !== this.prevHash) return fail('prevHash does not link to the previous event');
    if (eventHash(this.prevHash, { ...event, metadata }) !== hash) {
      return fail('hash does not match the event content');
    }
    this.prevHash = hash;
    this.expectedRevision += 1;
    return true;
  }

  get ok(): boolean {
    return this.failure === null;
  }

  result(): Verification {
    return (
      this.failure ?? {
        ok: true,
        eventsChecked: this.checked,
        firstBadPosition: null,
        reason: null,
      }
    );
  }
}

/** Re-walks a stream's chain: revisions contiguous from 0, each link and hash as recomputed. */
export const verifyChain = (events: Iterable<StoredEvent>): Verification => {
  const check = new ChainCheck();
  for (const event of events) if (!check.add(event)) break;
  return check.result();
};
