import type * as Observed from './observed-server';

/** The OpenTelemetry SDK modules, each noted when something requires it. */
const SDK = [
  '@opentelemetry/sdk-trace-node',
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/exporter-trace-otlp-http',
  '@opentelemetry/resources',
  '@opentelemetry/context-async-hooks',
];
const loaded = new Set<string>();
for (const name of SDK) {
  jest.doMock(name, () => {
    loaded.add(name);
    return jest.requireActual<object>(name);
  });
}
// Required after the probes are in place.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startObserved } = require('./observed-server') as typeof Observed;

describe('tracing off (OTEL_ENABLED unset)', () => {
  it('serves without ever loading the OpenTelemetry SDK', async () => {
    const server = await startObserved();
    try {
      const token = await server.token('ann', ['ANALYST']);
      const { json } = await server.post(
        { query: 'query Status { projectionStatus { name } }' },
        { authorization: `Bearer ${token}` },
      );
      expect(json.errors).toBeUndefined();
      expect([...loaded]).toEqual([]);
    } finally {
      await server.stop();
    }
    // The probe works: with tracing on, the SDK loads.
    const traced = await startObserved({ OTEL_ENABLED: 'true' });
    await traced.stop();
    expect(loaded).toContain('@opentelemetry/sdk-trace-node');
  });
});
