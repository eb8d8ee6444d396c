import { leadStreamId } from '../domain/lead/commands';
import { LEAD_PII_FIELDS } from '../domain/lead/events';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  StoredEvent,
  SubscribeOptions,
  Subscription,
  Verification,
} from '../eventstore/port';
import { DataKeys, type DataKey, type DataKeysOptions } from './data-keys';
import type { KeyStore } from './keystore/port';
import type { MasterKeys } from './master-keys';
import {
  isSealed,
  openSealed,
  parseSealed,
  sealValue,
  SealedValueError,
  valueAad,
} from './sealed-value';

/** Event type -> the data fields that hold personal data. */
export type PiiFields = Readonly<Record<string, readonly string[]>>;

export const FORGOTTEN_EVENT = 'LeadForgotten';

const LEAD_STREAM_PREFIX = leadStreamId('');

/** The lead a stream belongs to: the subject whose key seals its personal data. */
export const subjectOf = (streamId: string): string | undefined =>
  streamId.startsWith(LEAD_STREAM_PREFIX) ? streamId.slice(LEAD_STREAM_PREFIX.length) : undefined;

/** Personal data was to be written for a lead that was forgotten: it never gets a key again. */
export class SubjectForgottenError extends Error {
  override readonly name = 'SubjectForgottenError';
  constructor(readonly subject: string) {
    super(`lead ${subject} was forgotten: no personal data can be recorded for it`);
  }
}

export interface PiiVaultOptions extends DataKeysOptions {
  fields?: PiiFields;
}

const record = (data: unknown): Record<string, unknown> | undefined =>
  data !== null && typeof data === 'object' && !Array.isArray(data)
    ? (data as Record<string, unknown>)
    : undefined;

/**
 * The event store with personal data encrypted: an EventStore decorator. On append, the PII
 * fields of a lead's events are sealed with the lead's data key (the inner store hashes the
 * ciphertext); on every read they are opened again, or read as null once the key is deleted.
 * Appending LeadForgotten deletes the key. Hash chains are the inner store's: `verify` still
 * holds after an erasure because nothing stored changes.
 */
export class PiiVault implements EventStore {
  readonly keys: DataKeys;
  private readonly fields: PiiFields;

  constructor(
    readonly inner: EventStore,
    keyStore: KeyStore,
    master: MasterKeys,
    options: PiiVaultOptions = {},
  ) {
    this.keys = new DataKeys(keyStore, master, options);
    this.fields = options.fields ?? LEAD_PII_FIELDS;
  }

  async append(
    streamId: string,
    events: NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    const subject = subjectOf(streamId);
    const personal =
      subject !== undefined && events.some((e) => this.sealable(e.type, e.data).length > 0);
    let sealed = events;
    if (personal) {
      const key = await this.keys.forSubject(subject);
      if (!key) throw new SubjectForgottenError(subject);
      sealed = events.map((e) => this.seal(streamId, e, key));
    }
    const result = await this.inner.append(streamId, sealed, options);
    // Also on a deduplicated retry: the first call may have stopped before the deletion.
    if (subject !== undefined && events.some((e) => e.type === FORGOTTEN_EVENT)) {
      await this.keys.forget(subject);
    }
    return result;
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<StoredEvent[]> {
    const events = await this.inner.readStream(streamId, options);
    const opened: StoredEvent[] = [];
    for (const event of events) opened.push(await this.open(event));
    return opened;
  }

  readAll(options?: ReadAllOptions): AsyncIterable<StoredEvent> {
    const source = this.inner.readAll(options);
    return { [Symbol.asyncIterator]: () => this.opening(source[Symbol.asyncIterator]()) };
  }

  subscribe(options?: SubscribeOptions): Subscription {
    const subscription = this.inner.subscribe(options);
    return {
      [Symbol.asyncIterator]: () => this.opening(subscription[Symbol.asyncIterator]()),
      close: () => subscription.close(),
    };
  }

  findIdempotent(streamId: string, idempotencyKey: string): Promise<AppendResult | undefined> {
    return this.inner.findIdempotent(streamId, idempotencyKey);
  }

  /** The inner store's chain, over what it stores: the ciphertext. */
  verify(streamId: string): Promise<Verification> {
    return this.inner.verify(streamId);
  }

  headPosition(): Promise<string> {
    return this.inner.headPosition();
  }

  countAfter(position: string, limit: number): Promise<number> {
    return this.inner.countAfter(position, limit);
  }

  async close(): Promise<void> {
    try {
      await this.inner.close();
    } finally {
      await this.keys.store.close();
    }
  }

  /** PII fields of this event that hold a value still to be sealed. */
  private sealable(type: string, data: unknown): string[] {
    const fields = this.fields[type];
    const values = record(data);
    if (!fields || !values) return [];
    return fields.filter(
      (f) => values[f] !== null && values[f] !== undefined && !isSealed(values[f]),
    );
  }

  private seal(streamId: string, event: NewEvent, key: DataKey): NewEvent {
    const fields = this.sealable(event.type, event.data);
    if (fields.length === 0) return event;
    const data = { ...record(event.data) };
    for (const f of fields) {
      data[f] = sealValue(key.key, key.keyId, valueAad(streamId, event.type, f), data[f]);
    }
    return { ...event, data };
  }

  /** The event with its sealed fields opened (null where the key is gone). */
  private open(event: StoredEvent): StoredEvent | Promise<StoredEvent> {
    const fields = this.fields[event.type];
    const values = record(event.data);
    if (!fields || !values || !fields.some((f) => isSealed(values[f]))) return event;
    return this.openFields(event, values, fields);
  }

  private async openFields(
    event: StoredEvent,
    values: Record<string, unknown>,
    fields: readonly string[],
  ): Promise<StoredEvent> {
    const data = { ...values };
    for (const f of fields) {
      const value = data[f];
      if (!isSealed(value)) continue;
      try {
        const parts = parseSealed(value);
        const key = this.keys.cached(parts.keyId) ?? (await this.keys.byId(parts.keyId));
        data[f] = key && openSealed(key.key, parts, valueAad(event.streamId, event.type, f));
      } catch (error) {
        if (!(error instanceof SealedValueError)) throw error;
        throw new SealedValueError(`${error.message} (event at position ${event.position}, ${f})`);
      }
    }
    return { ...event, data };
  }

  private opening(source: AsyncIterator<StoredEvent>): AsyncIterator<StoredEvent> {
    return {
      next: async () => {
        const next = await source.next();
        return next.done ? next : { done: false, value: await this.open(next.value) };
      },
      return: async (value?: unknown) =>
        source.return
          ? source.return(value)
          : { done: true, value: value as StoredEvent | undefined },
    } as AsyncIterator<StoredEvent>;
  }
}

/** Wraps `inner` so that personal data is stored encrypted (see PiiVault). */
export const createPiiVault = (
  inner: EventStore,
  keys: KeyStore,
  master: MasterKeys,
  options?: PiiVaultOptions,
): PiiVault => new PiiVault(inner, keys, master, options);

/** What is stored, ciphertext included: for exports whose hashes must verify offline. */
export const sealedStore = (events: EventStore): EventStore =>
  events instanceof PiiVault ? events.inner : events;
