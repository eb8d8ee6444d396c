import { randomUUID } from 'node:crypto';
import type { ReadableOptions } from 'node:stream';
import {
  BACKWARDS,
  END,
  ErrorType,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM as ESDB_NO_STREAM,
  START as ESDB_START,
  eventTypeFilter,
  excludeSystemEvents,
  isCommandError,
  jsonEvent,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type AppendResult as EsdbAppendResult,
  type EventData,
  type Filter,
  type JSONType,
  type Position,
  type ReadAllOptions as EsdbReadAllOptions,
  type ReadStreamOptions as EsdbReadStreamOptions,
  type RecordedEvent,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { eventHash, GENESIS_HASH, verifyChain } from './hash';
import { uuidV5 } from './uuid';
import {
  ANY,
  ConcurrencyError,
  NO_STREAM,
  type AppendOptions,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type StoredEvent,
  type SubscribeOptions,
  type Subscription,
  type Verification,
} from './port';

/*
 * EventStoreDB / KurrentDB adapter (gRPC client `@eventstore/db-client` v6).
 *
 * Mapping: ESDB event id = our `id`, ESDB data = our `data` (JSON), ESDB metadata (JSON) =
 * { ...our metadata, schemaVersion, occurredAt, recordedAt, prevHash, hash }. Positions are
 * `${commit}/${prepare}`, each zero-padded to 20 digits, so string order is log order.
 * Needs a server >= 22.6: older servers do not report positions for events read from a stream.
 *
 * Idempotency: on ESDB the scope of a key is the stream (`findIdempotent` scans that stream's
 * metadata), where SQLite keeps one global table and refuses a key reused on another stream.
 * Event ids of a keyed append are derived from (stream, key, index), so a concurrent duplicate
 * that slips past the scan is also deduplicated by the server (best effort: its id cache).
 */

export interface EsdbReconnectOptions {
  /** Consecutive failed (re)subscriptions before the subscription gives up and throws. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface EsdbEventStoreOptions {
  /** How a live subscription resumes after a dropped connection. */
  reconnect?: Partial<EsdbReconnectOptions>;
  /** Attempts of an append at expected revision ANY that lose the race for the stream head. */
  maxAnyAttempts?: number;
}

const DEFAULT_RECONNECT: EsdbReconnectOptions = {
  maxAttempts: 10,
  initialDelayMs: 100,
  maxDelayMs: 5_000,
};

const POSITION_DIGITS = 20;
/** u64 max: what a server reports where it has no position (old servers, deduplicated writes). */
const NO_POSITION = 2n ** 64n - 1n;
const READ_ALL_BATCH = 500;
const BACKWARDS_PAGE = 100;

export const encodePosition = ({ commit, prepare }: Position): string =>
  `${commit.toString().padStart(POSITION_DIGITS, '0')}/${prepare.toString().padStart(POSITION_DIGITS, '0')}`;

export const decodePosition = (position: string): Position => {
  const match = /^(\d{20})\/(\d{20})$/.exec(position);
  if (!match) throw new RangeError(`not an EventStoreDB position: ${position}`);
  return { commit: BigInt(match[1]!), prepare: BigInt(match[2]!) };
};

const knownPosition = (position: Position | undefined): Position | undefined =>
  position && position.commit !== NO_POSITION && position.prepare !== NO_POSITION
    ? position
    : undefined;

const positionOf = (position: Position | undefined): string => {
  const known = knownPosition(position);
  return known ? encodePosition(known) : '';
};

const readPosition = (position: string | undefined) =>
  position === undefined || position === '' ? ESDB_START : decodePosition(position);

const EVENT_ID_NAMESPACE = '29113dab-afd9-4195-afd4-825c5b3821ee';

/** The id of the `index`-th event of a keyed append: the same on every retry. */
export const deriveEventId = (streamId: string, idempotencyKey: string, index: number): string =>
  uuidV5(EVENT_ID_NAMESPACE, `${streamId}\u0000${idempotencyKey}\u0000${index}`);

/** Envelope fields kept in ESDB metadata next to our own metadata. */
const ENVELOPE_KEYS = ['schemaVersion', 'occurredAt', 'recordedAt', 'prevHash', 'hash'];

/** What is stored is what is hashed: a JSON round trip drops undefined, Dates become strings. */
const jsonCopy = <T>(value: T): T => JSON.parse(JSON.stringify(value ?? null)) as T;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  !ArrayBuffer.isView(value);

const isSystem = (event: RecordedEvent): boolean =>
  event.type.startsWith('$') || event.streamId.startsWith('$');

/** Our envelope from what the server returned; undefined for links, system and foreign events. */
const toStoredEvent = (
  resolved: ResolvedEvent | AllStreamResolvedEvent,
): StoredEvent | undefined => {
  const event = resolved.event;
  if (resolved.link || !event || !event.isJson || isSystem(event)) return undefined;
  if (!isRecord(event.metadata)) return undefined;
  const { schemaVersion, occurredAt, recordedAt, prevHash, hash, ...metadata } = event.metadata;
  if (
    typeof schemaVersion !== 'number' ||
    typeof occurredAt !== 'string' ||
    typeof recordedAt !== 'string' ||
    typeof prevHash !== 'string' ||
    typeof hash !== 'string' ||
    !isRecord(metadata.actor)
  ) {
    return undefined;
  }
  return {
    id: event.id,
    type: event.type,
    schemaVersion,
    streamId: event.streamId,
    revision: Number(event.revision),
    position: positionOf(event.position),
    occurredAt,
    recordedAt,
    data: event.data,
    metadata: { ...(metadata as unknown as EventMetadata), prevHash, hash },
  };
};

/** A stream event without our envelope, shaped so that `verifyChain` fails on it. */
const unverifiable = (event: RecordedEvent): StoredEvent => ({
  id: event.id,
  type: event.type,
  schemaVersion: 0,
  streamId: event.streamId,
  revision: Number(event.revision),
  position: positionOf(event.position),
  occurredAt: '',
  recordedAt: '',
  data: event.isJson ? event.data : null,
  metadata: {
    actor: { id: '', roles: [] },
    correlationId: '',
    causationId: '',
    prevHash: '',
    hash: '',
  },
});

const isErrorOfType = (error: unknown, type: ErrorType): boolean =>
  error instanceof Error && isCommandError(error) && error.type === type;

const actualRevisionOf = (error: unknown): number | null => {
  if (
    error instanceof Error &&
    isCommandError(error) &&
    error.type === ErrorType.WRONG_EXPECTED_VERSION
  ) {
    return typeof error.actualVersion === 'bigint' ? Number(error.actualVersion) : null;
  }
  return null;
};

/** Errors a resubscription cannot cure. */
const FATAL_SUBSCRIPTION_ERRORS = [
  ErrorType.ACCESS_DENIED,
  ErrorType.INVALID_ARGUMENT,
  ErrorType.UNSUPPORTED,
];

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Server-side filter: exactly these types, or everything but system events. */
const serverFilter = (eventTypes: string[] | undefined): Filter =>
  eventTypes
    ? eventTypeFilter({ regex: `^(?:${eventTypes.map(escapeRegex).join('|')})$` })
    : excludeSystemEvents();

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const READ_ATTEMPTS = 3;

/** A dropped channel fails the calls in flight and the client reconnects: a read is safe to redo. */
const retryRead = async <T>(read: () => Promise<T>): Promise<T> => {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await read();
    } catch (error) {
      if (attempt >= READ_ATTEMPTS || !isErrorOfType(error, ErrorType.UNAVAILABLE)) throw error;
      await sleep(50 * attempt);
    }
  }
};

interface StreamHead {
  revision: number;
  hash: string;
  position: string;
}

export class EsdbEventStore implements EventStore {
  private readonly reconnect: EsdbReconnectOptions;
  private readonly maxAnyAttempts: number;
  private readonly openSubscriptions = new Set<EsdbSubscription>();

  constructor(
    private readonly client: EventStoreDBClient,
    options: EsdbEventStoreOptions = {},
  ) {
    this.reconnect = { ...DEFAULT_RECONNECT, ...options.reconnect };
    this.maxAnyAttempts = options.maxAnyAttempts ?? 10;
  }

  async append(
    streamId: string,
    events: NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    const { expectedRevision, idempotencyKey } = options;
    if (idempotencyKey !== undefined) {
      const earlier = await this.findIdempotent(streamId, idempotencyKey);
      if (earlier) return earlier;
    }
    for (let attempt = 1; ; attempt += 1) {
      // The chain needs the head's hash, so every append is pinned to the head it read.
      const head = await this.readHead(streamId);
      const actual = head ? head.revision : null;
      const matches =
        expectedRevision === ANY ||
        (expectedRevision === NO_STREAM ? actual === null : expectedRevision === actual);
      if (!matches) throw new ConcurrencyError(streamId, expectedRevision, actual);
      if (events.length === 0) throw new RangeError('append needs at least one event');

      let result: EsdbAppendResult | undefined;
      let conflict: unknown;
      try {
        result = await this.client.appendToStream(
          streamId,
          this.chain(streamId, events, head, idempotencyKey),
          { expectedRevision: head ? BigInt(head.revision) : ESDB_NO_STREAM },
        );
      } catch (error) {
        if (!isErrorOfType(error, ErrorType.WRONG_EXPECTED_VERSION)) throw error;
        conflict = error;
      }
      // `success` is false only when the client was built with throwOnAppendFailure=false.
      if (result?.success) {
        const revision = Number(result.nextExpectedRevision);
        const position = await this.appendedPosition(streamId, revision, events.length, result);
        return { revision, position, deduplicated: false };
      }
      if (idempotencyKey !== undefined) {
        // A concurrent call with the same key may have won the race.
        const earlier = await this.findIdempotent(streamId, idempotencyKey);
        if (earlier) return earlier;
      }
      if (expectedRevision === ANY && attempt < this.maxAnyAttempts) {
        await sleep(Math.random() * 5 * attempt);
        continue;
      }
      throw new ConcurrencyError(streamId, expectedRevision, actualRevisionOf(conflict));
    }
  }

  /** Assigns recordedAt, ids and the hash chain from the head onwards. */
  private chain(
    streamId: string,
    events: NewEvent[],
    head: StreamHead | undefined,
    idempotencyKey: string | undefined,
  ): EventData[] {
    const recordedAt = new Date().toISOString();
    let prevHash = head ? head.hash : GENESIS_HASH;
    let revision = head ? head.revision : -1;
    return events.map((event, index) => {
      revision += 1;
      const id =
        event.id ??
        (idempotencyKey !== undefined
          ? deriveEventId(streamId, idempotencyKey, index)
          : randomUUID());
      const data = jsonCopy(event.data);
      const metadata = jsonCopy<Record<string, unknown>>({ ...event.metadata, idempotencyKey });
      for (const key of ENVELOPE_KEYS) delete metadata[key];
      const hash = eventHash(prevHash, {
        id,
        type: event.type,
        schemaVersion: event.schemaVersion,
        streamId,
        revision,
        occurredAt: event.occurredAt,
        recordedAt,
        data,
        metadata: metadata as unknown as EventMetadata,
      });
      const stored = jsonEvent({
        id,
        type: event.type,
        data: data as JSONType,
        metadata: {
          ...metadata,
          schemaVersion: event.schemaVersion,
          occurredAt: event.occurredAt,
          recordedAt,
          prevHash,
          hash,
        },
      });
      prevHash = hash;
      return stored;
    });
  }

  /**
   * The position of the last event written. A one-event append reports that event's position;
   * for several events the reported position is the write's, so ask the stream for its last one.
   */
  private async appendedPosition(
    streamId: string,
    revision: number,
    count: number,
    result: EsdbAppendResult,
  ): Promise<string> {
    const reported = knownPosition(result.position);
    if (count === 1 && reported) return encodePosition(reported);
    const head = await this.readHead(streamId);
    if (head && head.revision === revision && head.position !== '') return head.position;
    return reported ? encodePosition(reported) : '';
  }

  private async readHead(streamId: string): Promise<StreamHead | undefined> {
    const [last] = await this.collectStream(streamId, {
      direction: BACKWARDS,
      fromRevision: END,
      maxCount: 1,
    });
    if (!last?.event) return undefined;
    const stored = toStoredEvent(last);
    return {
      revision: Number(last.event.revision),
      // A foreign head event has no hash: the chain is broken there and verify says so.
      hash: stored ? stored.metadata.hash : GENESIS_HASH,
      position: positionOf(last.event.position),
    };
  }

  private async collectStream(
    streamId: string,
    options: EsdbReadStreamOptions,
  ): Promise<ResolvedEvent[]> {
    return retryRead(async () => {
      const out: ResolvedEvent[] = [];
      try {
        for await (const resolved of this.client.readStream(streamId, options)) out.push(resolved);
      } catch (error) {
        if (isErrorOfType(error, ErrorType.STREAM_NOT_FOUND)) return [];
        throw error;
      }
      return out;
    });
  }

  private async collectAll(options: EsdbReadAllOptions): Promise<AllStreamResolvedEvent[]> {
    return retryRead(async () => {
      const out: AllStreamResolvedEvent[] = [];
      for await (const resolved of this.client.readAll(options)) out.push(resolved);
      return out;
    });
  }

  /** The stream newest first, a page at a time. */
  private async *backwards(streamId: string): AsyncGenerator<ResolvedEvent> {
    let from: bigint | typeof END = END;
    for (;;) {
      const page = await this.collectStream(streamId, {
        direction: BACKWARDS,
        fromRevision: from,
        maxCount: BACKWARDS_PAGE,
      });
      yield* page;
      const oldest = page[page.length - 1]?.event?.revision;
      if (page.length < BACKWARDS_PAGE || oldest === undefined || oldest === 0n) return;
      from = oldest - 1n;
    }
  }

  async findIdempotent(
    streamId: string,
    idempotencyKey: string,
  ): Promise<AppendResult | undefined> {
    // Newest first: the first match is the last event of the append that used the key.
    for await (const resolved of this.backwards(streamId)) {
      const event = toStoredEvent(resolved);
      if (event && event.metadata.idempotencyKey === idempotencyKey) {
        return { revision: event.revision, position: event.position, deduplicated: true };
      }
    }
    return undefined;
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    const from = Math.max(0, options.fromRevision ?? 0);
    const to = options.toRevision;
    if (to !== undefined && to < from) return [];
    let asOf: number | undefined;
    if (options.asOf !== undefined) {
      asOf = Date.parse(options.asOf);
      if (Number.isNaN(asOf)) throw new RangeError(`asOf is not an instant: ${options.asOf}`);
    }
    const resolved = await this.collectStream(streamId, {
      direction: FORWARDS,
      fromRevision: BigInt(from),
      ...(to !== undefined ? { maxCount: to - from + 1 } : {}),
    });
    const events: StoredEvent[] = [];
    for (const r of resolved) {
      const event = toStoredEvent(r);
      if (!event) continue;
      if (asOf !== undefined && Date.parse(event.recordedAt) > asOf) continue;
      events.push(event);
    }
    return events;
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<StoredEvent> {
    const batchSize = Math.max(1, options.batchSize ?? READ_ALL_BATCH);
    let after = options.from ?? '';
    for (;;) {
      // A read from a position includes the event there: one more than a batch always progresses.
      const maxCount = batchSize + 1;
      const page = await this.collectAll({
        direction: FORWARDS,
        fromPosition: readPosition(after),
        maxCount,
      });
      let last = after;
      for (const resolved of page) {
        const position = positionOf(resolved.event?.position);
        if (position === '' || position <= after) continue;
        last = position;
        const event = toStoredEvent(resolved);
        if (event) yield event;
      }
      if (page.length < maxCount || last === after) return;
      after = last;
    }
  }

  subscribe(options: SubscribeOptions = {}): Subscription {
    const subscription = new EsdbSubscription(this.client, options, this.reconnect, () =>
      this.openSubscriptions.delete(subscription),
    );
    this.openSubscriptions.add(subscription);
    return subscription;
  }

  async verify(streamId: string): Promise<Verification> {
    const resolved = await this.collectStream(streamId, {
      direction: FORWARDS,
      fromRevision: ESDB_START,
    });
    const events = resolved.flatMap((r) =>
      r.event ? [toStoredEvent(r) ?? unverifiable(r.event)] : [],
    );
    return verifyChain(events);
  }

  async headPosition(): Promise<string> {
    // The newest event readAll would yield: system and foreign events are skipped.
    let before: string | undefined;
    for (;;) {
      const page = await this.collectAll({
        direction: BACKWARDS,
        fromPosition: before === undefined ? END : decodePosition(before),
        maxCount: BACKWARDS_PAGE,
      });
      let oldest = before;
      for (const resolved of page) {
        const position = positionOf(resolved.event?.position);
        if (position === '' || (before !== undefined && position >= before)) continue;
        oldest = position;
        if (toStoredEvent(resolved)) return position;
      }
      if (page.length < BACKWARDS_PAGE || oldest === before) return '';
      before = oldest;
    }
  }

  async countAfter(position: string, limit: number): Promise<number> {
    let count = 0;
    for await (const _event of this.readAll({ from: position, batchSize: Math.min(limit, 1000) })) {
      count += 1;
      if (count >= limit) break;
    }
    return count;
  }

  async close(): Promise<void> {
    await Promise.all([...this.openSubscriptions].map((s) => s.close()));
    await this.client.dispose();
  }
}

/**
 * A catch-up subscription to `$all` (the server switches from catch-up to live without gap or
 * duplicate). After a dropped connection it resubscribes from the last position it saw, with a
 * capped exponential backoff, and skips anything at or before that position.
 */
class EsdbSubscription implements Subscription {
  private closed = false;
  private current: AllStreamSubscription | undefined;
  private wake: (() => void) | undefined;
  private readonly events: AsyncGenerator<StoredEvent>;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly options: SubscribeOptions,
    private readonly reconnect: EsdbReconnectOptions,
    private readonly onClosed: () => void,
  ) {
    this.events = this.run();
  }

  [Symbol.asyncIterator](): AsyncIterator<StoredEvent> {
    return this.events;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    if (this.current) this.release(this.current);
    await this.events.return(undefined);
    this.onClosed();
  }

  private async *run(): AsyncGenerator<StoredEvent> {
    const types = this.options.eventTypes ? new Set(this.options.eventTypes) : undefined;
    const filter = serverFilter(this.options.eventTypes);
    const readableOptions: ReadableOptions = {
      highWaterMark: Math.max(1, this.options.batchSize ?? READ_ALL_BATCH),
    };
    let last = this.options.from ?? '';
    let failures = 0;
    try {
      while (!this.closed) {
        const subscription = this.client.subscribeToAll(
          { fromPosition: readPosition(last), filter },
          readableOptions,
        );
        this.current = subscription;
        subscription.once('confirmation', () => {
          failures = 0;
        });
        let dropped: unknown;
        try {
          for await (const resolved of subscription) {
            const position = positionOf(resolved.event?.position);
            if (position === '' || position <= last) continue;
            last = position;
            const event = toStoredEvent(resolved);
            if (event && (!types || types.has(event.type))) yield event;
            if (this.closed) return;
          }
        } catch (error) {
          dropped = error;
        } finally {
          this.release(subscription);
        }
        if (this.closed) return;
        if (
          dropped instanceof Error &&
          isCommandError(dropped) &&
          FATAL_SUBSCRIPTION_ERRORS.includes(dropped.type)
        ) {
          throw dropped;
        }
        failures += 1;
        if (failures > this.reconnect.maxAttempts) {
          throw dropped instanceof Error
            ? dropped
            : new Error('the subscription to $all kept ending', { cause: dropped });
        }
        await this.pause(
          Math.min(this.reconnect.maxDelayMs, this.reconnect.initialDelayMs * 2 ** (failures - 1)),
        );
      }
    } finally {
      this.closed = true;
      this.current = undefined;
      this.onClosed();
    }
  }

  private release(subscription: AllStreamSubscription): void {
    if (this.current === subscription) this.current = undefined;
    // unsubscribe cancels the gRPC call; destroy ends the iteration even if no status comes back.
    subscription.unsubscribe().catch(() => undefined);
    subscription.destroy();
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}

export const createEsdbEventStore = (
  connectionString: string,
  options: EsdbEventStoreOptions = {},
): EsdbEventStore =>
  new EsdbEventStore(EventStoreDBClient.connectionString(connectionString), options);
