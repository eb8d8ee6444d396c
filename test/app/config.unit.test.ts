import { ConfigError, loadConfig } from '../../src/app/config';

describe('loadConfig', () => {
  it('runs embedded with no configuration at all', () => {
    expect(loadConfig({})).toEqual({
      NODE_ENV: 'development',
      PORT: 4000,
      DATA_DIR: './data',
      MONGODB_DB: 'leadledger',
      SLA_MONITOR_INTERVAL_MS: 5000,
    });
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
    [{ JWT_SECRET: 'short' }, 'invalid JWT_SECRET'],
    [{ NODE_ENV: 'production' }, 'invalid JWT_SECRET: required when NODE_ENV=production'],
  ])('refuses %j with one line naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
