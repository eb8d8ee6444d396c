import { ConcurrencyError, type EventStore } from '../eventstore/port';
import { secondsSince, type Metrics } from './metrics';
import type { Tracing } from './tracing';

/** Stream categories (DESIGN.md: `lead-<id>`, `deal-<id>`, ...): a bounded metrics label. */
const CATEGORIES: ReadonlySet<string> = new Set(['lead', 'deal', 'sla', 'campaign', 'goal']);

const categoryOf = (streamId: string): string => {
  const prefix = streamId.slice(0, streamId.indexOf('-'));
  return CATEGORIES.has(prefix) ? prefix : 'other';
};

/** One append as the metrics count it (also sent by the projector thread, see serve.ts). */
export interface AppendRecord {
  category: string;
  outcome: 'ok' | 'conflict' | 'error';
  seconds: number;
  /** Events written (0 for a deduplicated retry or a failure). */
  events: number;
}

/** Counts and times an append in `leadledger_event_append_duration_seconds` and `_total`. */
export const recordAppend = (metrics: Metrics, record: AppendRecord): void => {
  metrics.appendDuration.observe(
    { category: record.category, outcome: record.outcome },
    record.seconds,
  );
  if (record.events > 0) metrics.eventsAppended.inc({ category: record.category }, record.events);
};

/**
 * The event store with its appends timed and counted (`leadledger_event_append_duration_seconds`,
 * `leadledger_events_appended_total`) and traced. Every other member is the store's own, so an
 * adapter's extras and later port methods pass through untouched.
 */
export const instrumentEventStore = (
  store: EventStore,
  { metrics, tracing }: { metrics: Metrics; tracing: Tracing },
): EventStore => {
  const timed = observedAppend(store, (record) => recordAppend(metrics, record));
  return withAppend(store, (streamId, events, options) =>
    tracing.inSpan(
      'eventstore.append',
      { 'leadledger.stream_category': categoryOf(streamId), 'leadledger.events': events.length },
      async (span) => {
        try {
          const result = await timed(streamId, events, options);
          span.update(undefined, { 'leadledger.deduplicated': result.deduplicated });
          return result;
        } catch (error) {
          const conflict = error instanceof ConcurrencyError;
          span.fail(conflict ? 'CONFLICT' : 'ERROR', conflict ? undefined : error);
          throw error;
        }
      },
    ),
  );
};

/** `store.append`, each call told to `observe` as the metrics count it. */
const observedAppend =
  (store: EventStore, observe: (record: AppendRecord) => void): EventStore['append'] =>
  async (streamId, events, options) => {
    const category = categoryOf(streamId);
    const started = process.hrtime.bigint();
    try {
      const result = await store.append(streamId, events, options);
      const written = result.deduplicated ? 0 : events.length;
      observe({ category, outcome: 'ok', seconds: secondsSince(started), events: written });
      return result;
    } catch (error) {
      const outcome = error instanceof ConcurrencyError ? 'conflict' : 'error';
      observe({ category, outcome, seconds: secondsSince(started), events: 0 });
      throw error;
    }
  };

/** `store` with its `append` replaced; every other member is the store's own. */
const withAppend = (store: EventStore, append: EventStore['append']): EventStore => {
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, property) {
      if (property === 'append') return append;
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      // Methods run on the store itself (its private fields), bound once.
      if (!bound.has(property)) bound.set(property, (value as () => unknown).bind(target));
      return bound.get(property);
    },
  });
};

/**
 * The event store with each append told to `observe` as the metrics count it: where the metrics
 * live elsewhere (the projector thread sends them to the thread that serves /metrics).
 */
export const observeAppends = (
  store: EventStore,
  observe: (record: AppendRecord) => void,
): EventStore => withAppend(store, observedAppend(store, observe));
