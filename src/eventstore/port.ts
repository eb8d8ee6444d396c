/**
 * The event store port: an append-only log of streams with optimistic concurrency,
 * idempotent appends, a global order, catch-up subscriptions and a per-stream hash chain.
 * Adapters: `sqlite.ts` (embedded default) and `esdb.ts` (EventStoreDB / KurrentDB).
 */

export interface Actor {
  id: string;
  roles: string[];
}

export interface EventMetadata {
  actor: Actor;
  correlationId: string;
  causationId: string;
  idempotencyKey?: string;
  /** The command that decided the event (a reused idempotency key is checked against it). */
  command?: string;
}

/** An event ready to append: the store assigns revision, position, recordedAt and hashes. */
export interface NewEvent {
  /** Set by the caller for deterministic ids (idempotent retries); otherwise a random uuid. */
  id?: string;
  type: string;
  schemaVersion: number;
  /** Business time, ISO-8601 UTC. */
  occurredAt: string;
  data: unknown;
  metadata: EventMetadata;
}

export interface StoredEvent {
  id: string;
  type: string;
  schemaVersion: number;
  streamId: string;
  /** Per stream, from 0. */
  revision: number;
  /** Global order; opaque to clients, ordered by `comparePositions`. */
  position: string;
  occurredAt: string;
  recordedAt: string;
  data: unknown;
  metadata: EventMetadata & { prevHash: string; hash: string };
}

/** `NO_STREAM`: the stream must not exist; `ANY`: no check; a number: the current revision. */
export type ExpectedRevision = number | 'NO_STREAM' | 'ANY';
export const NO_STREAM = 'NO_STREAM' as const;
export const ANY = 'ANY' as const;

export interface AppendOptions {
  expectedRevision: ExpectedRevision;
  /** A retry with the same key on the same stream returns the first result and writes nothing. */
  idempotencyKey?: string;
}

export interface AppendResult {
  /** Stream revision of the last event written (or, when deduplicated, first written). */
  revision: number;
  /** Global position of the last event written. */
  position: string;
  /** True when the key had been seen: nothing was written by this call. */
  deduplicated: boolean;
}

export interface ReadStreamOptions {
  fromRevision?: number;
  toRevision?: number;
  /** Only events recorded at or before this instant (ISO-8601): the stream as it was known then. */
  asOf?: string;
}

export interface ReadAllOptions {
  /** Exclusive: events strictly after this position. Omitted: from the start. */
  from?: string;
  batchSize?: number;
}

export interface SubscribeOptions extends ReadAllOptions {
  /** Only these event types (EventStoreDB filters server side). Omitted: all. */
  eventTypes?: string[];
}

/** Catch-up then live; iterate it, and `close()` (or `break`) to stop. */
export interface Subscription extends AsyncIterable<StoredEvent> {
  close(): Promise<void>;
}

export interface Verification {
  ok: boolean;
  eventsChecked: number;
  /** Position of the first event whose hash or link does not match; null when ok. */
  firstBadPosition: string | null;
  /** Why that event failed, for humans. */
  reason: string | null;
}

export interface EventStore {
  append(streamId: string, events: NewEvent[], options: AppendOptions): Promise<AppendResult>;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<StoredEvent[]>;
  readAll(options?: ReadAllOptions): AsyncIterable<StoredEvent>;
  subscribe(options?: SubscribeOptions): Subscription;
  /** The first result of an append made with this idempotency key on this stream, if any. */
  findIdempotent(streamId: string, idempotencyKey: string): Promise<AppendResult | undefined>;
  verify(streamId: string): Promise<Verification>;
  /** Position of the newest event in the store (`''` when empty). */
  headPosition(): Promise<string>;
  /** How many events lie after `position` (`''`: all), counting at most `limit`. */
  countAfter(position: string, limit: number): Promise<number>;
  close(): Promise<void>;
}

/** Positions of both adapters are fixed-width strings: ordinary string order is log order. */
export const comparePositions = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Before the first event. */
export const START: string = '';

export class ConcurrencyError extends Error {
  override readonly name = 'ConcurrencyError';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    readonly actual: number | null,
  ) {
    super(
      `stream ${streamId}: expected revision ${String(expected)}, actual ${actual === null ? 'no stream' : actual}`,
    );
  }
}

/** The key was already used for a different stream (keys are unique per actor). */
export class IdempotencyKeyReusedError extends Error {
  override readonly name = 'IdempotencyKeyReusedError';
  constructor(
    readonly idempotencyKey: string,
    readonly streamId: string,
    message = `idempotency key was already used on another stream than ${streamId}`,
  ) {
    super(message);
  }
}
