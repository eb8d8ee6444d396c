import {
  eventually,
  sample,
  startObserved,
  type LogLine,
  type ObservedServer,
} from './observed-server';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const CAPTURE = `mutation Capture($input: CaptureLeadInput!) {
  captureLead(input: $input) { leadId position }
}`;

/** Request ids, the access log, error reports and Prometheus series, through the real server. */
describe('observability of the server', () => {
  let server: ObservedServer;
  let mia: string;
  beforeAll(async () => {
    server = await startObserved();
    mia = await server.token('mia', ['MARKETING']);
  });
  afterAll(() => server.stop());

  const accessLines = (requestId: string): LogLine[] =>
    server.lines.filter((l) => l.msg === 'request' && l.requestId === requestId);

  it('echoes a sane x-request-id and x-correlation-id and generates them otherwise', async () => {
    const given = await fetch(`${server.base}/healthz`, {
      headers: { 'x-request-id': 'req-abc.1', 'x-correlation-id': 'import:42' },
    });
    expect(given.headers.get('x-request-id')).toBe('req-abc.1');
    expect(given.headers.get('x-correlation-id')).toBe('import:42');

    for (const odd of ['has spaces', 'x'.repeat(129), 'quote"d']) {
      const res = await fetch(`${server.base}/healthz`, { headers: { 'x-request-id': odd } });
      const generated = res.headers.get('x-request-id');
      expect(generated).toMatch(UUID);
      // Without a correlation id of its own, a request correlates as itself.
      expect(res.headers.get('x-correlation-id')).toBe(generated);
    }
    // On GraphQL answers and on errors too.
    const refused = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'bad-json-1' },
      body: '{"query": ',
    });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('x-request-id')).toBe('bad-json-1');
  });

  it('logs one access line per request with its ids and actor, never the token or the input', async () => {
    const { res, json } = await server.post(
      {
        query: CAPTURE,
        operationName: 'Capture',
        variables: {
          input: {
            leadId: 'obs-1',
            email: 'ada.lovelace@example.com',
            name: 'Ada Lovelace',
            segment: 'SMB',
            channel: 'WEBINAR',
          },
        },
      },
      {
        authorization: `Bearer ${mia}`,
        'x-request-id': 'capture-1',
        'x-correlation-id': 'campaign-import-7',
      },
    );
    expect(res.status).toBe(200);
    expect(json.errors).toBeUndefined();

    expect(accessLines('capture-1')).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'request',
        method: 'POST',
        path: '/graphql',
        status: 200,
        requestId: 'capture-1',
        correlationId: 'campaign-import-7',
        actorId: 'mia',
        operationName: 'Capture',
        operationType: 'mutation',
        ms: expect.any(Number) as number,
        time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) as string,
      }),
    ]);
    const everything = server.raw();
    expect(everything).not.toContain(mia.split('.')[2]); // the token's signature
    expect(everything).not.toMatch(/lovelace|Bearer/i);

    // The correlation id travels into the events the mutation wrote.
    const [captured] = await server.running.app.events.readStream('lead-obs-1');
    expect(captured?.metadata.correlationId).toBe('campaign-import-7');
  });

  it('logs an unauthenticated request with its error code and no actor', async () => {
    const { res } = await server.post(
      { query: '{ projectionStatus { name } }' },
      { authorization: 'Bearer not-a-token', 'x-request-id': 'no-auth-1' },
    );
    expect(res.status).toBe(401);
    expect(accessLines('no-auth-1')).toEqual([
      expect.objectContaining({ status: 401, actorId: null, errors: ['UNAUTHENTICATED'] }),
    ]);
    expect(server.raw()).not.toContain('not-a-token');
  });

  it('logs probes at debug level, GraphQL requests at info', async () => {
    await fetch(`${server.base}/readyz`, { headers: { 'x-request-id': 'probe-1' } });
    expect(accessLines('probe-1')).toEqual([
      expect.objectContaining({ level: 'debug', path: '/readyz', status: 200 }),
    ]);
  });

  it('exposes command, operation and projection series after a mutation and a query', async () => {
    const before = await server.metrics();
    const commandsOk =
      'leadledger_command_duration_seconds_count{command="captureLead",outcome="ok"}';
    const okBefore = sample(before, commandsOk) ?? 0;

    const { json } = await server.post(
      {
        query: `mutation CaptureForMetrics {
          captureLead(input: { leadId: "obs-2", email: "m@example.com", segment: SMB, channel: CHAT }) { position }
        }`,
      },
      { authorization: `Bearer ${mia}` },
    );
    const position = json.data?.captureLead?.position as string;
    expect(position).toMatch(/^\d+/);
    const refused = await server.post(
      { query: 'mutation { qualifyLead(input: { leadId: "ghost" }) { version } }' },
      { authorization: `Bearer ${mia}` },
    );
    expect(refused.json.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const read = await server.post(
      { query: `{ lead(id: "obs-2", consistentWith: "${position}") { id } }` },
      { authorization: `Bearer ${mia}` },
    );
    expect(read.json.data?.lead).toEqual({ id: 'obs-2' });

    const after = await server.metrics();
    expect(sample(after, commandsOk)).toBe(okBefore + 1);
    expect(
      sample(after, 'leadledger_command_errors_total{command="qualifyLead",code="NOT_FOUND"}'),
    ).toBe(1);
    expect(
      sample(
        after,
        'leadledger_command_duration_seconds_count{command="qualifyLead",outcome="error"}',
      ),
    ).toBe(1);
    expect(
      sample(
        after,
        'leadledger_graphql_operation_duration_seconds_count{type="mutation",operation="CaptureForMetrics",field="captureLead"}',
      ),
    ).toBe(1);
    expect(
      sample(
        after,
        'leadledger_graphql_operation_duration_seconds_count{type="query",operation="anonymous",field="lead"}',
      ),
    ).toBe(1);
    expect(
      sample(after, 'leadledger_projection_position{projection="leads"}'),
    ).toBeGreaterThanOrEqual(Number(position));
    expect(sample(after, 'leadledger_projection_lag_events{projection="leads"}')).toBe(0);
    // Default process metrics stay.
    expect(sample(after, 'leadledger_process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('times event appends per stream category (composition wraps the event store)', async () => {
    await server.post(
      {
        query: `mutation { captureLead(input: { leadId: "obs-3", email: "a@example.com", segment: SMB, channel: CHAT }) { position } }`,
      },
      { authorization: `Bearer ${mia}` },
    );
    const text = await server.metrics();
    expect(
      sample(text, 'leadledger_event_append_duration_seconds_count{category="lead",outcome="ok"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'leadledger_events_appended_total{category="lead"}'),
    ).toBeGreaterThanOrEqual(1);
  });

  it('counts open subscriptions up and down, and logs each with its actor', async () => {
    const active = async () =>
      sample(await server.metrics(), 'leadledger_subscriptions_active') ?? NaN;
    expect(await active()).toBe(0);
    const client = server.ws(mia);
    const subscribe = () =>
      client.subscribe(
        { query: 'subscription Watch { leadChanged { leadId } }' },
        { next: () => undefined, error: () => undefined, complete: () => undefined },
      );
    const first = subscribe();
    const second = subscribe();
    await eventually(async () => (await active()) === 2);
    first();
    await eventually(async () => (await active()) === 1);
    await client.dispose(); // the socket closes under the second one
    await eventually(async () => (await active()) === 0);

    const started = server.lines.filter((l) => l.msg === 'subscription started');
    const ended = server.lines.filter((l) => l.msg === 'subscription ended');
    expect(started).toHaveLength(2);
    expect(ended).toHaveLength(2);
    expect(started[0]).toMatchObject({ actorId: 'mia', operationName: 'Watch' });
    expect(started[0]?.requestId).toMatch(UUID);
    void second;
  });
});

describe('errors masked as INTERNAL', () => {
  it('are logged server side with the request id and the real error', async () => {
    const server = await startObserved();
    try {
      const token = await server.token('ann', ['ANALYST']);
      await server.running.app.slaMonitor.stop();
      await server.running.app.readStore.close(); // the read store is gone under the server
      const { json } = await server.post(
        { query: 'query Broken { leads(first: 1) { totalCount } }' },
        { authorization: `Bearer ${token}`, 'x-request-id': 'broken-1' },
      );
      expect(json.errors?.[0]).toMatchObject({
        message: 'Internal error',
        extensions: { code: 'INTERNAL' },
      });
      const reports = server.lines.filter((l) => l.msg === 'internal error');
      expect(reports).toEqual([
        expect.objectContaining({
          level: 'error',
          requestId: 'broken-1',
          correlationId: 'broken-1',
          actorId: 'ann',
          operationName: 'Broken',
        }),
      ]);
      // The driver's own message and stack (under jest, graphql-js wraps the cross-realm error).
      const reported = JSON.stringify(reports[0]?.err);
      expect(reported).toContain('The database connection is not open');
      expect(reported).toMatch(/readstore\/sqlite/);
      expect(server.lines.filter((l) => l.requestId === 'broken-1' && l.msg === 'request')).toEqual(
        [expect.objectContaining({ errors: ['INTERNAL'] })],
      );
    } finally {
      await server.stop().catch(() => undefined);
    }
  });
});

describe('/readyz', () => {
  it('is not ready while a projection lags more than READY_MAX_LAG_SECONDS', async () => {
    // Batches wait 1.5 s for more events: the projections lag that long behind each write.
    const server = await startObserved(
      { READY_MAX_LAG_SECONDS: '0' },
      { runner: { batchDeadlineMs: 1500 } },
    );
    try {
      const mia = await server.token('mia', ['MARKETING']);
      expect((await fetch(`${server.base}/readyz`)).status).toBe(200);
      await server.post(
        {
          query: `mutation { captureLead(input: { leadId: "lag-1", email: "l@example.com", segment: SMB, channel: CHAT }) { position } }`,
        },
        { authorization: `Bearer ${mia}` },
      );
      await new Promise((r) => setTimeout(r, 20));
      const res = await fetch(`${server.base}/readyz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { checks: { laggingProjections: string[] } };
      expect(body.checks.laggingProjections).toContain('leads');
      // Ready again once the projections caught up.
      await eventually(async () => (await fetch(`${server.base}/readyz`)).status === 200);
    } finally {
      await server.stop().catch(() => undefined);
    }
  });

  it('is not ready when a store is unreachable', async () => {
    const server = await startObserved();
    try {
      await server.running.app.slaMonitor.stop();
      await server.running.app.readStore.close();
      const res = await fetch(`${server.base}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({
        status: 'not ready',
        checks: { eventStore: 'ok', readStore: expect.stringMatching(/^unreachable: /) as string },
      });
    } finally {
      await server.stop().catch(() => undefined);
    }
  });
});
