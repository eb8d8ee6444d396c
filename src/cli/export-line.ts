import type { StoredEvent } from '../eventstore/port';

/**
 * One line of an export: an event exactly as stored (data not upcast), with everything its
 * hash covers (see `eventHash` in src/eventstore/hash.ts) and the chain links, so
 * `verify --file` recomputes every hash from the file alone. `position` is the store's global
 * order, which the hash does not cover.
 */
export interface ExportedEvent {
  streamId: string;
  revision: number;
  position: string;
  id: string;
  type: string;
  schemaVersion: number;
  occurredAt: string;
  recordedAt: string;
  data: unknown;
  /** Actor, correlation and causation ids, idempotency key: the metadata the hash covers. */
  metadata: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export const exportLine = (event: StoredEvent): string => {
  const { prevHash, hash, ...metadata } = event.metadata;
  const line: ExportedEvent = {
    streamId: event.streamId,
    revision: event.revision,
    position: event.position,
    id: event.id,
    type: event.type,
    schemaVersion: event.schemaVersion,
    occurredAt: event.occurredAt,
    recordedAt: event.recordedAt,
    data: event.data,
    metadata,
    prevHash,
    hash,
  };
  return `${JSON.stringify(line)}\n`;
};

const STRINGS = [
  'streamId',
  'position',
  'id',
  'type',
  'occurredAt',
  'recordedAt',
  'prevHash',
  'hash',
] as const;

/** The stored event a line describes; throws, with a reason for humans, on anything else. */
export const parseExportLine = (line: string): StoredEvent => {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error('not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error('not a JSON object');
  }
  const e = value as Record<string, unknown>;
  for (const key of STRINGS) {
    if (typeof e[key] !== 'string') throw new Error(`${key} is missing or not a string`);
  }
  for (const key of ['revision', 'schemaVersion'] as const) {
    if (!Number.isInteger(e[key])) throw new Error(`${key} is missing or not an integer`);
  }
  if (!('data' in e)) throw new Error('data is missing');
  const metadata = e.metadata;
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new Error('metadata is missing or not an object');
  }
  const x = e as unknown as ExportedEvent;
  return {
    id: x.id,
    type: x.type,
    schemaVersion: x.schemaVersion,
    streamId: x.streamId,
    revision: x.revision,
    position: x.position,
    occurredAt: x.occurredAt,
    recordedAt: x.recordedAt,
    data: x.data,
    metadata: {
      ...(metadata as StoredEvent['metadata']),
      prevHash: x.prevHash,
      hash: x.hash,
    },
  };
};
