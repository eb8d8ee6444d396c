import { ConfigError, loadConfig } from '../../src/app/config';

describe('loadConfig', () => {
  it('runs embedded with no configuration at all', () => {
    expect(loadConfig({})).toEqual({
      NODE_ENV: 'development',
      PORT: 4000,
      DATA_DIR: './data',
      MONGODB_DB: 'leadledger',
      SLA_MONITOR_INTERVAL_MS: 5000,
      MAX_QUERY_DEPTH: 12,
      MAX_QUERY_ALIASES: 30,
      MAX_QUERY_COMPLEXITY: 20_000,
      BODY_LIMIT_BYTES: 1_048_576,
      REQUEST_TIMEOUT_MS: 30_000,
      CONSISTENCY_WAIT_MS: 2000,
      READY_MAX_LAG_SECONDS: 60,
      PROJECTOR_LEASE_MS: 10_000,
      ANCHOR_INTERVAL_MS: 60_000,
      LOG_LEVEL: 'info',
      OTEL_ENABLED: false,
    });
  });

  it('reads GRAPHQL_INTROSPECTION as a flag', () => {
    expect(loadConfig({ GRAPHQL_INTROSPECTION: 'true' }).GRAPHQL_INTROSPECTION).toBe(true);
    expect(loadConfig({ GRAPHQL_INTROSPECTION: '0' }).GRAPHQL_INTROSPECTION).toBe(false);
    expect(() => loadConfig({ GRAPHQL_INTROSPECTION: 'yes' })).toThrow(
      'invalid GRAPHQL_INTROSPECTION: must be true or false',
    );
  });

  it('treats empty variables as unset and coerces numbers', () => {
    const config = loadConfig({ PORT: '8080', EVENTSTORE_URL: '' });
    expect(config.PORT).toBe(8080);
    expect(config.EVENTSTORE_URL).toBeUndefined();
  });

  it.each([
    [{ PORT: 'eighty' }, 'invalid PORT'],
    [{ PORT: '70000' }, 'invalid PORT'],
    [{ EVENTSTORE_URL: 'http://localhost:2113' }, 'invalid EVENTSTORE_URL'],
    [{ MONGODB_URI: 'localhost:27017' }, 'invalid MONGODB_URI'],
    [{ MONGODB_DB: 'bad name!' }, 'invalid MONGODB_DB'],
    [{ MAX_QUERY_DEPTH: '1' }, 'invalid MAX_QUERY_DEPTH'],
    [{ CONSISTENCY_WAIT_MS: '-5' }, 'invalid CONSISTENCY_WAIT_MS'],
    [{ JWT_SECRET: 'short' }, 'invalid JWT_SECRET'],
    [{ NODE_ENV: 'production' }, 'invalid JWT_SECRET: required when NODE_ENV=production'],
  ])('refuses %j with one line naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
