import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ConfigError, loadConfig } from '../../src/app/config';

const repo = join(__dirname, '../..');
const read = (file: string) => readFileSync(join(repo, file), 'utf8');

/** KEY=value lines as compose's env_file reads them (no quotes used in .env.example). */
const envExample = (): Record<string, string> =>
  Object.fromEntries(
    read('.env.example')
      .split('\n')
      .map((line) => /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );

interface ComposeService {
  environment?: Record<string, string>;
  healthcheck?: { test?: string[] };
}
const compose = parse(read('docker-compose.yml')) as {
  services: Record<string, ComposeService>;
};

describe('.env.example, as the containers get it', () => {
  const secrets = {
    JWT_SECRET: 'x'.repeat(48),
    ANCHOR_SECRET: 'y'.repeat(48),
    MASTER_KEY: randomBytes(32).toString('base64'),
  };

  it('configures the app on the compose stores once the secrets are filled in', () => {
    const config = loadConfig({
      ...envExample(),
      ...secrets,
      ...compose.services.api!.environment,
    });
    expect(config.NODE_ENV).toBe('production');
    expect(config.PORT).toBe(4000);
    expect(config.HOST).toBe('0.0.0.0');
    expect(config.EVENTSTORE_URL).toBe('esdb://eventstore:2113?tls=false');
    expect(config.MONGODB_URI).toMatch(/^mongodb:\/\/mongodb:27017\/\?replicaSet=rs0&/);
  });

  it('is refused as it stands, naming JWT_SECRET: the operator must set the secrets', () => {
    expect(() => loadConfig(envExample())).toThrow(ConfigError);
    expect(() => loadConfig(envExample())).toThrow(/JWT_SECRET/);
  });
});

describe('the node healthcheck one-liners', () => {
  let server: Server;
  let status = 200;
  let port: number;
  const paths: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(status).end();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  const exitCode = (argv: string[], env: NodeJS.ProcessEnv = {}) =>
    new Promise<number | null>((done) => {
      const [command, ...args] = argv;
      expect(command).toBe('node');
      const child = spawn(process.execPath, args, { env: { ...process.env, ...env } });
      child.on('exit', (code) => done(code));
    });

  /** The api service's probe, aimed at the local server instead of port 4000. */
  const composeProbe = (target: number) =>
    compose.services
      .api!.healthcheck!.test!.slice(1)
      .map((arg) => arg.replace('127.0.0.1:4000/', `127.0.0.1:${target}/`));
  const dockerfileProbe = () => {
    const line = read('Dockerfile')
      .split('\n')
      .find((l) => l.trim().startsWith('CMD ["node", "-e"'))!;
    return JSON.parse(line.trim().slice('CMD '.length)) as string[];
  };

  it('compose: healthy on 200 from /readyz, unhealthy on 503 and when nothing listens', async () => {
    status = 200;
    expect(await exitCode(composeProbe(port))).toBe(0);
    expect(paths.at(-1)).toBe('/readyz');
    status = 503;
    expect(await exitCode(composeProbe(port))).toBe(1);
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const free = (closed.address() as AddressInfo).port;
    await new Promise<void>((done) => closed.close(() => done()));
    expect(await exitCode(composeProbe(free))).toBe(1);
  });

  it('Dockerfile: probes /healthz on $PORT', async () => {
    status = 200;
    expect(await exitCode(dockerfileProbe(), { PORT: String(port) })).toBe(0);
    expect(paths.at(-1)).toBe('/healthz');
    status = 500;
    expect(await exitCode(dockerfileProbe(), { PORT: String(port) })).toBe(1);
  });
});
