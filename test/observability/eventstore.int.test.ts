import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import { ConcurrencyError, type NewEvent } from '../../src/eventstore/port';
import { SqliteEventStore } from '../../src/eventstore/sqlite';
import { instrumentEventStore } from '../../src/observability/eventstore';
import { Metrics } from '../../src/observability/metrics';
import { NO_TRACING, startTracing } from '../../src/observability/tracing';

const event = (type: string): NewEvent => ({
  type,
  schemaVersion: 1,
  occurredAt: '2026-06-01T12:00:00.000Z',
  data: { note: type },
  metadata: { actor: { id: 'ann', roles: ['ADMIN'] }, correlationId: 'c-1', causationId: 'c-1' },
});

/** The append decorator over a real SQLite store: what it measures, and that it changes nothing. */
describe('instrumentEventStore', () => {
  let dir: string;
  let store: SqliteEventStore;
  let metrics: Metrics;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'leadledger-obs-es-'));
    store = new SqliteEventStore(join(dir, 'events.db'));
    metrics = new Metrics();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A counter's values, or a histogram's counts, by labels. */
  const series = async (name: string) =>
    (await metrics.registry.getSingleMetric(name)!.get()).values
      .filter((v) => {
        const series = (v as { metricName?: string }).metricName;
        return series === undefined || series.endsWith('_count');
      })
      .map((v) => ({ labels: v.labels, value: v.value }));

  it('times appends by stream category and outcome and counts the events written', async () => {
    const events = instrumentEventStore(store, { metrics, tracing: NO_TRACING });
    await events.append('lead-1', [event('A'), event('B')], { expectedRevision: 'NO_STREAM' });
    await events.append('deal-1', [event('A')], {
      expectedRevision: 'NO_STREAM',
      idempotencyKey: 'k',
    });
    // A retry with the key writes nothing and counts no events.
    await events.append('deal-1', [event('A')], {
      expectedRevision: 'NO_STREAM',
      idempotencyKey: 'k',
    });
    await expect(
      events.append('lead-1', [event('C')], { expectedRevision: 'NO_STREAM' }),
    ).rejects.toBeInstanceOf(ConcurrencyError);
    await events.append('odd', [event('A')], { expectedRevision: 'ANY' });

    expect(await series('leadledger_event_append_duration_seconds')).toEqual(
      expect.arrayContaining([
        { labels: { category: 'lead', outcome: 'ok' }, value: 1 },
        { labels: { category: 'lead', outcome: 'conflict' }, value: 1 },
        { labels: { category: 'deal', outcome: 'ok' }, value: 2 },
        { labels: { category: 'other', outcome: 'ok' }, value: 1 },
      ]),
    );
    expect(await series('leadledger_events_appended_total')).toEqual([
      { labels: { category: 'lead' }, value: 2 },
      { labels: { category: 'deal' }, value: 1 },
      { labels: { category: 'other' }, value: 1 },
    ]);
  });

  it('passes every other member through to the store itself', async () => {
    const events = instrumentEventStore(store, { metrics, tracing: NO_TRACING });
    const written = await events.append('lead-2', [event('A')], { expectedRevision: 'NO_STREAM' });
    expect(events).toBeInstanceOf(SqliteEventStore);
    expect(await events.headPosition()).toBe(written.position);
    expect((await events.readStream('lead-2')).map((e) => e.type)).toEqual(['A']);
    const all = [];
    for await (const e of events.readAll()) all.push(e.streamId);
    expect(all).toEqual(['lead-2']);
    expect((await events.verify('lead-2')).ok).toBe(true);
  });

  it('spans each append inside the span of its caller when tracing is on', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing({ exporter });
    try {
      const events = instrumentEventStore(store, { metrics, tracing });
      await tracing.inSpan('command test', {}, () =>
        events.append('lead-3', [event('A')], { expectedRevision: 'NO_STREAM' }),
      );
      await expect(
        tracing.inSpan('command test', {}, () =>
          events.append('lead-3', [event('B')], { expectedRevision: 'NO_STREAM' }),
        ),
      ).rejects.toBeInstanceOf(ConcurrencyError);
      const spans = exporter.getFinishedSpans();
      const appends = spans.filter((s) => s.name === 'eventstore.append');
      const outer = spans.filter((s) => s.name === 'command test');
      expect(appends.map((s) => s.parentSpanContext?.spanId)).toEqual(
        outer.map((s) => s.spanContext().spanId),
      );
      expect(appends[0]?.attributes).toMatchObject({
        'leadledger.stream_category': 'lead',
        'leadledger.events': 1,
        'leadledger.deduplicated': false,
      });
      expect(appends[1]?.attributes['leadledger.error_code']).toBe('CONFLICT');
    } finally {
      await tracing.shutdown();
    }
  });
});
