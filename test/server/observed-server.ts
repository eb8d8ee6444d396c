import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { loadConfig } from '../../src/app/config';
import type { Role } from '../../src/domain/shared/values';
import { createLogger } from '../../src/observability/logger';
import { serve, type Running, type ServeOptions } from '../../src/server/serve';

const SECRET = 'observability-secret-long-enough-for-hs256!';

export type LogLine = Record<string, unknown>;

export interface GraphQLBody {
  data?: Record<string, Record<string, unknown> | null> | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

export interface ObservedServer {
  running: Running;
  /** http://127.0.0.1:<port> */
  base: string;
  url: string;
  /** Every line the server logged so far, parsed; `raw` as written. */
  lines: LogLine[];
  raw(): string;
  token(sub: string, roles: Role[]): Promise<string>;
  post(
    body: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<{ res: Response; json: GraphQLBody }>;
  metrics(): Promise<string>;
  ws(token: string): Client;
  stop(): Promise<void>;
}

/** The real server on an ephemeral port, its log lines captured through a pino logger (debug). */
export const startObserved = async (
  env: Record<string, string> = {},
  options: ServeOptions = {},
): Promise<ObservedServer> => {
  const dir = mkdtempSync(join(tmpdir(), 'leadledger-obs-'));
  const written: string[] = [];
  const logger = createLogger({ write: (line: string) => void written.push(line) }, 'debug');
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    DATA_DIR: dir,
    JWT_SECRET: SECRET,
    SLA_MONITOR_INTERVAL_MS: '600000',
    ...env,
  });
  const running = await serve(config, { host: '127.0.0.1', logger, ...options });
  const base = `http://127.0.0.1:${running.port}`;
  const url = `${base}/graphql`;
  const key = new TextEncoder().encode(SECRET);
  const clients: Client[] = [];
  return {
    running,
    base,
    url,
    get lines() {
      return written.map((line) => JSON.parse(line) as LogLine);
    },
    raw: () => written.join(''),
    token: (sub, roles) =>
      new SignJWT({ roles })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(sub)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(key),
    async post(body, headers = {}) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      return { res, json: (await res.json()) as GraphQLBody };
    },
    metrics: async () => (await fetch(`${base}/metrics`)).text(),
    ws(token) {
      const client = createClient({
        url: url.replace('http', 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
        retryAttempts: 0,
      });
      clients.push(client);
      return client;
    },
    async stop() {
      await Promise.all(clients.map(async (c) => c.dispose()));
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

/** The value of one series in Prometheus text (labels exactly as written), or undefined. */
export const sample = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

/** Polls `probe` until it returns true (or fails after `timeoutMs`). */
export const eventually = async (probe: () => Promise<boolean>, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 25));
  }
};
