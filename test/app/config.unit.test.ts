import { ConfigError, loadConfig } from '../../src/app/config';

describe('loadConfig', () => {
  it('runs embedded with no configuration at all', () => {
    expect(loadConfig({})).toMatchObject({
      NODE_ENV: 'development',
      PORT: 4000,
      DATA_DIR: './data',
      EVENTSTORE_URL: undefined,
      MONGODB_URI: undefined,
      MONGODB_DB: 'leadledger',
      JWT_SECRET: undefined,
    });
  });

  it('treats empty variables as unset and coerces numbers', () => {
    expect(loadConfig({ PORT: '8080', EVENTSTORE_URL: '' })).toMatchObject({
      PORT: 8080,
      EVENTSTORE_URL: undefined,
    });
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
