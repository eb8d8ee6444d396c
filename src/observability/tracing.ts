import type { SpanExporter } from '@opentelemetry/sdk-trace-node';
import type { Logger } from './logger';
import type * as Otel from './otel';

export type SpanAttributes = Record<string, string | number | boolean | null | undefined>;

/** The span a piece of work runs in; every method is a no-op when tracing is off. */
export interface SpanHandle {
  /** Renames the span (when given a name) and adds attributes, e.g. once the operation is known. */
  update(name: string | undefined, attributes?: SpanAttributes): void;
  /** Marks the span failed with an API error code; `error`, when given, is recorded with it. */
  fail(code: string, error?: unknown): void;
}

/** Headers a trace may continue from (W3C `traceparent`). */
export type Carrier = Record<string, string | string[] | undefined>;

export interface Tracing {
  readonly enabled: boolean;
  /**
   * Runs `work` in a new span, the child of the active span (or of the trace in `carrier`), and
   * ends it when `work` settles; a thrown error marks it failed.
   */
  inSpan<T>(
    name: string,
    attributes: SpanAttributes,
    work: (span: SpanHandle) => Promise<T>,
    carrier?: Carrier,
  ): Promise<T>;
  /** Exports what is buffered and unregisters the SDK; rejects when the last export fails. */
  shutdown(): Promise<void>;
}

export const NO_SPAN: SpanHandle = {
  update: () => undefined,
  fail: () => undefined,
};

/** Tracing off: the work runs as is, and no OpenTelemetry module is loaded. */
export const NO_TRACING: Tracing = {
  enabled: false,
  inSpan: (_name, _attributes, work) => work(NO_SPAN),
  shutdown: () => Promise.resolve(),
};

export interface TracingOptions {
  /** Where spans go instead of OTLP over HTTP (tests pass an in-memory exporter). */
  exporter?: SpanExporter;
  /** Where the SDK's own warnings and errors go (e.g. a failed export). */
  logger?: Logger;
}

/**
 * Starts the OpenTelemetry SDK (spans over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT). Loaded on
 * demand so that a process without OTEL_ENABLED never requires the SDK.
 */
export const startTracing = (options: TracingOptions = {}): Tracing => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startOtelTracing } = require('./otel') as typeof Otel;
  return startOtelTracing(options);
};
