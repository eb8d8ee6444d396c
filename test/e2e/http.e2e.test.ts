import { codeOf, startServer, type TestServer } from '../support/server';

/** The HTTP surface: health, readiness, metrics, GET, limits, landing page, production mode. */
describe('HTTP endpoints in development', () => {
  let server: TestServer;
  let analyst: string;
  beforeAll(async () => {
    server = await startServer({ BODY_LIMIT_BYTES: '4096' });
    analyst = await server.token('ann', ['ANALYST']);
  });
  afterAll(() => server.stop());

  const base = () => server.url.replace('/graphql', '');

  it('answers /healthz, /readyz and /metrics', async () => {
    expect(await (await fetch(`${base()}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base()}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      checks: { eventStore: 'ok', readStore: 'ok', laggingProjections: [] },
    });
    await server.gql('{ projectionStatus { name } }', {}, analyst);
    const metrics = await (await fetch(`${base()}/metrics`)).text();
    expect(metrics).toMatch(/leadledger_http_requests_total\{route="graphql",status="200"\} \d+/);
    expect(metrics).toMatch(
      /leadledger_graphql_operation_duration_seconds_count\{type="query",operation="anonymous",field="projectionStatus"\} 1/,
    );
    expect(metrics).toMatch(/leadledger_projection_lag_seconds\{projection="leads"\} \d/);
    // Client errors are counted under their own code, not as INTERNAL.
    const admin = await server.token('root', ['ADMIN']);
    await server.gql('mutation { qualifyLead(input: { leadId: "ghost" }) { version } }', {}, admin);
    const after = await (await fetch(`${base()}/metrics`)).text();
    expect(after).toMatch(/leadledger_graphql_errors_total\{code="NOT_FOUND"\} 1/);
    expect(after).not.toMatch(/leadledger_graphql_errors_total\{code="INTERNAL"\}/);
  });

  it('serves queries over GET, but not mutations', async () => {
    const query = encodeURIComponent('{ projectionStatus { name lagEvents } }');
    const res = await fetch(`${server.url}?query=${query}`, {
      headers: { authorization: `Bearer ${analyst}`, 'apollo-require-preflight': 'true' },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { projectionStatus: Array<{ name: string }> } };
    expect(body.data.projectionStatus.map((p) => p.name)).toContain('leads');
    const mutation = encodeURIComponent(
      'mutation { qualifyLead(input: { leadId: "x" }) { version } }',
    );
    const refused = await fetch(`${server.url}?query=${mutation}`, {
      headers: { authorization: `Bearer ${analyst}`, 'apollo-require-preflight': 'true' },
    });
    expect(refused.status).toBe(405);
  });

  it('refuses an oversized body with 413 and a bad JSON body with 400', async () => {
    const big = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${analyst}` },
      body: JSON.stringify({ query: `{ projectionStatus { name } } # ${'x'.repeat(5000)}` }),
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({
      errors: [
        { message: 'the request body exceeds 4096 bytes', extensions: { code: 'BAD_REQUEST' } },
      ],
    });
    const bad = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": ',
    });
    expect(bad.status).toBe(400);
    // Without Content-Length (chunked) the limit holds too, and the 413 reaches the client.
    const chunk = new TextEncoder().encode(`{"query": "${'y'.repeat(1000)}`);
    const body = ReadableStream.from(Array.from({ length: 10 }, () => chunk));
    const init = {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${analyst}` },
      body,
      duplex: 'half',
    };
    const chunked = await fetch(server.url, init as RequestInit);
    expect(chunked.status).toBe(413);
    // The server still answers.
    expect(codeOf(await server.gql('{ projectionStatus { name } }', {}, analyst))).toBeUndefined();
  });

  it('serves GraphiQL from bundled assets (no CDN) in development', async () => {
    const page = await fetch(server.url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('/graphiql/graphiql.js');
    expect(html).not.toMatch(/https?:\/\/(unpkg|cdn|esm\.sh)/);
    for (const asset of [
      '/graphiql/graphiql.js',
      '/graphiql/react.js',
      '/graphiql/react-dom.js',
      '/graphiql/graphiql.css',
    ]) {
      const res = await fetch(`${base()}${asset}`);
      expect({ asset, status: res.status }).toEqual({ asset, status: 200 });
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    }
  });

  it('answers TIMEOUT (503) when a request outlives REQUEST_TIMEOUT_MS', async () => {
    const slow = await startServer({ REQUEST_TIMEOUT_MS: '150', CONSISTENCY_WAIT_MS: '5000' });
    try {
      const token = await slow.token('ann', ['ANALYST']);
      const res = await slow.gql(
        '{ leads(consistentWith: "9999999999999999") { totalCount } }',
        {},
        token,
      );
      expect(res.status).toBe(503);
      expect(codeOf(res)).toBe('TIMEOUT');
    } finally {
      await slow.stop();
    }
  });

  it('masks an internal failure as INTERNAL with no driver text', async () => {
    const failing = await startServer({ SLA_MONITOR_INTERVAL_MS: '600000' });
    try {
      const token = await failing.token('ann', ['ANALYST']);
      await failing.running.app.slaMonitor.stop();
      await failing.running.app.readStore.close(); // the read store is gone under the server
      const res = await failing.gql('{ leads(first: 1) { totalCount } }', {}, token);
      expect(res.errors).toEqual([
        expect.objectContaining({ message: 'Internal error', extensions: { code: 'INTERNAL' } }),
      ]);
      expect(JSON.stringify(res)).not.toMatch(/sqlite|database|at \/|\.ts:/i);
    } finally {
      await failing.stop().catch(() => undefined);
    }
  });
});

describe('HTTP endpoints in production', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ NODE_ENV: 'production' });
  });
  afterAll(() => server.stop());

  it('has no landing page and no introspection', async () => {
    const page = await fetch(server.url, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type') ?? '').not.toContain('text/html');
    const admin = await server.token('root', ['ADMIN']);
    const res = await server.gql('{ __schema { queryType { name } } }', {}, admin);
    expect(codeOf(res)).toBe('GRAPHQL_VALIDATION_FAILED');
    // Not over WebSocket either.
    const client = server.ws(admin);
    const refused = await new Promise<unknown>((resolve) => {
      client.subscribe(
        {
          query:
            'subscription { funnelChanged { position } } query Q { __schema { queryType { name } } }',
          operationName: 'Q',
        },
        { next: resolve, error: resolve, complete: () => undefined },
      );
    });
    expect(JSON.stringify(refused)).toMatch(/introspection/i);
  });
});
