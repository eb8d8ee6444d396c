/**
 * The OpenTelemetry side of `Tracing`. Only `startTracing` imports this module, and only with
 * OTEL_ENABLED: a process without it never loads the SDK.
 */
import {
  context,
  diag,
  DiagLogLevel,
  propagation,
  ProxyTracerProvider,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import type { SpanAttributes, SpanHandle, Tracing, TracingOptions } from './tracing';

const attributesOf = (attributes: SpanAttributes): Attributes => {
  const defined: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) defined[key] = value;
  }
  return defined;
};

/** The handle of a span, and whether `fail` already set its status. */
const handleOf = (span: Span): { handle: SpanHandle; failed: () => boolean } => {
  let failed = false;
  return {
    failed: () => failed,
    handle: {
      update(name, attributes = {}) {
        if (name !== undefined) span.updateName(name);
        span.setAttributes(attributesOf(attributes));
      },
      fail(code, error) {
        failed = true;
        span.setAttribute('leadledger.error_code', code);
        span.setStatus({ code: SpanStatusCode.ERROR, message: code });
        if (error instanceof Error) span.recordException(error);
      },
    },
  };
};

export const startOtelTracing = ({ exporter, logger }: TracingOptions): Tracing => {
  const provider = new NodeTracerProvider({
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the default name.
    resource: defaultResource()
      .merge(resourceFromAttributes({ 'service.name': 'lead-ledger' }))
      .merge(detectResources({ detectors: [envDetector] })),
    spanProcessors: [
      exporter
        ? new SimpleSpanProcessor(exporter)
        : new BatchSpanProcessor(new OTLPTraceExporter()),
    ],
  });
  // Global tracer provider, AsyncLocalStorage context and W3C propagation. An SDK registered
  // earlier (e.g. through NODE_OPTIONS=--require) stays in place and gets our spans.
  provider.register();
  const global = trace.getTracerProvider();
  const ours = !(global instanceof ProxyTracerProvider) || global.getDelegate() === provider;
  if (!ours) {
    logger?.info('OpenTelemetry: an SDK was registered before the start; spans go to it');
    void provider.shutdown();
  }
  // The SDK reports failed exports through `diag`: into our log, not lost.
  if (ours && logger) {
    const warn = (message: string, ...args: unknown[]) =>
      logger.warn({ otel: args.length > 0 ? args.map(String) : undefined }, `otel: ${message}`);
    const ignore = () => undefined;
    diag.setLogger(
      { error: warn, warn, info: ignore, debug: ignore, verbose: ignore },
      DiagLogLevel.WARN,
    );
  }
  const tracer = trace.getTracer('lead-ledger');
  return {
    enabled: true,
    inSpan(name, attributes, work, carrier) {
      const parent = carrier ? propagation.extract(context.active(), carrier) : context.active();
      return tracer.startActiveSpan(
        name,
        { attributes: attributesOf(attributes) },
        parent,
        async (span) => {
          const { handle, failed } = handleOf(span);
          try {
            return await work(handle);
          } catch (error) {
            // The message may hold user input: recorded only through `fail`, by callers that know.
            if (!failed()) span.setStatus({ code: SpanStatusCode.ERROR });
            throw error;
          } finally {
            span.end();
          }
        },
      );
    },
    async shutdown() {
      if (!ours) return; // the SDK registered before us is its owner's to shut down
      try {
        await provider.shutdown(); // exports what is buffered: may fail if the collector is gone
      } finally {
        trace.disable();
        context.disable();
        propagation.disable();
        diag.disable();
      }
    },
  };
};
