import type { ApolloServerPlugin } from '@apollo/server';
import { Kind } from 'graphql';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { errorCodeOf } from '../graphql/errors';
import type { ProjectionStatus } from '../projections/runner';

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
    // Labelled by root field (bounded by the schema), not by client-chosen operation names.
    help: 'GraphQL operation durations by operation type and first root field',
    labelNames: ['type', 'field'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
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

  constructor(status: () => Promise<ProjectionStatus[]>) {
    collectDefaultMetrics({ register: this.registry, prefix: 'leadledger_' });
    const lagEvents = new Gauge({
      name: 'leadledger_projection_lag_events',
      help: 'Events behind the head of the log, per projection',
      labelNames: ['projection'] as const,
      registers: [this.registry],
    });
    new Gauge({
      name: 'leadledger_projection_lag_seconds',
      help: 'Age of the oldest unapplied event, per projection',
      labelNames: ['projection'] as const,
      registers: [this.registry],
      async collect() {
        for (const s of await status()) {
          this.set({ projection: s.name }, s.lagSeconds);
          lagEvents.set({ projection: s.name }, s.lagEvents);
        }
      },
    });
  }

  /** Operation durations and error codes, from Apollo's request lifecycle. */
  plugin(): ApolloServerPlugin {
    const { graphqlErrors, operationDuration } = this;
    return {
      requestDidStart() {
        const started = process.hrtime.bigint();
        return Promise.resolve({
          didEncounterErrors({ errors }) {
            for (const e of errors) graphqlErrors.inc({ code: errorCodeOf(e) });
            return Promise.resolve();
          },
          willSendResponse({ operation }) {
            const seconds = Number(process.hrtime.bigint() - started) / 1e9;
            const root = operation?.selectionSet.selections[0];
            const field = root?.kind === Kind.FIELD ? root.name.value : 'unknown';
            operationDuration.observe({ type: operation?.operation ?? 'unknown', field }, seconds);
            return Promise.resolve();
          },
        });
      },
    };
  }
}
