import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ProjectionStatus } from '../projections/runner';

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Distinct client-chosen operation names that get a label of their own; later ones are "other". */
const MAX_OPERATION_NAMES = 100;
const MAX_OPERATION_NAME_LENGTH = 64;

/** Seconds since `started` (from `process.hrtime.bigint()`). */
export const secondsSince = (started: bigint): number =>
  Number(process.hrtime.bigint() - started) / 1e9;

/** The global position of a checkpoint as a number: SQLite's counter, EventStoreDB's commit. */
const positionNumber = (position: string): number => Number(/^\d+/.exec(position)?.[0] ?? 0);

/** Prometheus metrics of one process, served as text at /metrics. */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'leadledger_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  readonly operationDuration = new Histogram({
    name: 'leadledger_graphql_operation_duration_seconds',
    help: 'GraphQL operation durations by type, operation name (capped) and first root field',
    labelNames: ['type', 'operation', 'field'] as const,
    buckets: SECONDS,
    registers: [this.registry],
  });
  readonly graphqlErrors = new Counter({
    name: 'leadledger_graphql_errors_total',
    help: 'GraphQL errors by code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly subscriptions = new Gauge({
    name: 'leadledger_subscriptions_active',
    help: 'Open GraphQL subscriptions',
    registers: [this.registry],
  });
  readonly commandDuration = new Histogram({
    name: 'leadledger_command_duration_seconds',
    help: 'Command (mutation) durations by command and outcome (ok, error)',
    labelNames: ['command', 'outcome'] as const,
    buckets: SECONDS,
    registers: [this.registry],
  });
  readonly commandErrors = new Counter({
    name: 'leadledger_command_errors_total',
    help: 'Refused or failed commands by command and API error code',
    labelNames: ['command', 'code'] as const,
    registers: [this.registry],
  });
  readonly appendDuration = new Histogram({
    name: 'leadledger_event_append_duration_seconds',
    help: 'Event store appends by stream category and outcome (ok, conflict, error)',
    labelNames: ['category', 'outcome'] as const,
    buckets: [0.0005, ...SECONDS],
    registers: [this.registry],
  });
  readonly eventsAppended = new Counter({
    name: 'leadledger_events_appended_total',
    help: 'Events written to the event store by stream category',
    labelNames: ['category'] as const,
    registers: [this.registry],
  });
  private readonly operationNames = new Set<string>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'leadledger_' });
  }

  /**
   * The `operation` label of a client-chosen operation name: the first names seen keep theirs,
   * later ones and overlong ones count as "other", so clients cannot grow the series without end.
   */
  operationLabel(name: string | null): string {
    if (name === null) return 'anonymous';
    if (this.operationNames.has(name)) return name;
    if (
      name.length > MAX_OPERATION_NAME_LENGTH ||
      this.operationNames.size >= MAX_OPERATION_NAMES
    ) {
      return 'other';
    }
    this.operationNames.add(name);
    return name;
  }

  /** Position, lag and rebuild state per projection, read from `status` once per scrape. */
  watchProjections(status: () => Promise<ProjectionStatus[]>): void {
    // The gauges are collected concurrently: they share one status read.
    let reading: Promise<ProjectionStatus[]> | undefined;
    const read = () => {
      // A store that cannot answer leaves the last values (readiness reports the failure).
      reading ??= status()
        .catch(() => [])
        .finally(() => {
          reading = undefined;
        });
      return reading;
    };
    const gauge = (name: string, help: string, value: (s: ProjectionStatus) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['projection'] as const,
        registers: [this.registry],
        async collect() {
          for (const s of await read()) this.set({ projection: s.name }, value(s));
        },
      });
    gauge(
      'leadledger_projection_position',
      'Global position of the last event applied, per projection',
      (s) => positionNumber(s.position),
    );
    gauge(
      'leadledger_projection_lag_events',
      'Events behind the head of the log, per projection',
      (s) => s.lagEvents,
    );
    gauge(
      'leadledger_projection_lag_seconds',
      'Age of the oldest unapplied event, per projection',
      (s) => s.lagSeconds,
    );
    gauge(
      'leadledger_projection_rebuilding',
      '1 while the projection rebuilds into a new generation',
      (s) => (s.rebuilding ? 1 : 0),
    );
  }
}
