import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import { SignJWT } from 'jose';
import { MongoClient } from 'mongodb';
import WebSocket from 'ws';
import { loadConfig } from '../../src/app/config';
import type { Role } from '../../src/domain/shared/values';
import { serve, type Running } from '../../src/server/serve';
import { recordRan, recordSkip } from './skips';

export const SECRET = 'e2e-secret-that-is-long-enough-for-hs256!';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> }>;
}

export interface TestServer {
  running: Running;
  url: string;
  /** A token for this actor id and roles, signed with the server's secret. */
  token(sub: string, roles: Role[], options?: { expiresIn?: string }): Promise<string>;
  /** POST /graphql as the given bearer token (none: unauthenticated). */
  gql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
  ): Promise<GraphQLResponse<T>>;
  ws(token?: string): Client;
  stop(): Promise<void>;
}

/**
 * Read-store settings of the backends the API suites run on: embedded always, MongoDB (a fresh
 * database on the shared server, dropped by `stop`) when MONGODB_URI is set.
 */
export const apiBackends = (): Array<[string, () => Record<string, string>]> => {
  const backends: Array<[string, () => Record<string, string>]> = [['embedded', () => ({})]];
  const uri = process.env.MONGODB_URI;
  if (uri) {
    recordRan('API suite on MongoDB/FerretDB read models');
    backends.push([
      'MongoDB read models',
      () => ({
        MONGODB_URI: uri,
        MONGODB_DB: `leadledger_e2e_${randomUUID().replaceAll('-', '').slice(0, 12)}`,
      }),
    ]);
  } else recordSkip('API suite on MongoDB read models', 'MONGODB_URI is unset');
  return backends;
};

/** The real server on an ephemeral port with a temporary DATA_DIR (embedded SQLite stores). */
export const startServer = async (env: Record<string, string> = {}): Promise<TestServer> => {
  const dir = mkdtempSync(join(tmpdir(), 'leadledger-e2e-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    DATA_DIR: dir,
    JWT_SECRET: SECRET,
    MASTER_KEY: 'ZTJlLW1hc3Rlci1rZXktb2YtMzItYnl0ZXMtbG9uZyE=',
    SLA_MONITOR_INTERVAL_MS: '200',
    ...env,
  });
  const running = await serve(config, { host: '127.0.0.1', log: () => undefined });
  const url = `http://127.0.0.1:${running.port}/graphql`;
  const clients: Client[] = [];
  const key = new TextEncoder().encode(config.JWT_SECRET ?? SECRET);
  return {
    running,
    url,
    token: (sub, roles, options = {}) =>
      new SignJWT({ roles })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(sub)
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '1h')
        .sign(key),
    async gql(query, variables, token) {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, ...((await res.json()) as object) };
    },
    ws(token) {
      const client = createClient({
        url: url.replace('http', 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: token ? { authorization: `Bearer ${token}` } : {},
        retryAttempts: 0,
      });
      clients.push(client);
      return client;
    },
    async stop() {
      await Promise.all(clients.map(async (c) => c.dispose()));
      await running.close();
      rmSync(dir, { recursive: true, force: true });
      if (config.MONGODB_URI && env.MONGODB_DB) {
        const client = await new MongoClient(config.MONGODB_URI).connect();
        await client.db(env.MONGODB_DB).dropDatabase();
        await client.close();
      }
    },
  };
};

/** The error code of the first error, for terse assertions. */
export const codeOf = (response: GraphQLResponse): unknown =>
  response.errors?.[0]?.extensions?.code;
