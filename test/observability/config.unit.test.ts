import { loadConfig } from '../../src/app/config';

/** The observability settings of the environment (README "Observability"). */
describe('LOG_LEVEL and OTEL_* configuration', () => {
  it('defaults to info logs and no tracing', () => {
    expect(loadConfig({})).toMatchObject({ LOG_LEVEL: 'info', OTEL_ENABLED: false });
  });

  it('takes pino levels and the tracing flag', () => {
    expect(
      loadConfig({
        LOG_LEVEL: 'debug',
        OTEL_ENABLED: 'true',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      }),
    ).toMatchObject({
      LOG_LEVEL: 'debug',
      OTEL_ENABLED: true,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    });
    expect(loadConfig({ OTEL_ENABLED: '0' }).OTEL_ENABLED).toBe(false);
  });

  it.each([
    [{ LOG_LEVEL: 'loud' }, /^invalid LOG_LEVEL: must be one of fatal, error, warn, info/],
    [{ OTEL_ENABLED: 'yes' }, /^invalid OTEL_ENABLED: must be true or false$/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, /^invalid OTEL_EXPORTER_OTLP_ENDPOINT: /],
  ])('refuses %j with one line naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
