import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import {
  buildDist,
  killSpawned,
  signToken,
  startServerProcess,
  waitUntil,
  type GraphQLAnswer,
  type ServerProcess,
} from '../support/process';

/**
 * `leadledger serve` as `npm start` runs it (the compiled dist/src/main.js): the projections,
 * the SLA monitor and the erasure follower run in a worker thread on store connections of
 * their own, and the event loop that serves the API follows them. From the TypeScript sources
 * (every in-process suite) the thread cannot load and the projections run inline, so only a
 * spawned server exercises this layout: read-your-writes across the threads, projection status
 * and readiness as the follower reports them, subscriptions pushed after the thread applied
 * the change, a clean SIGTERM and a restart on the same DATA_DIR, and the default inline layout.
 */

const SECRET = 'projector-thread-e2e-secret-long-enough!';

/** Generous: a loaded 2-core machine. `lead(consistentWith)` answers STALE only after this. */
const CONSISTENCY_WAIT_MS = '5000';

const envFor = (dir: string): Record<string, string> => ({
  DATA_DIR: dir,
  JWT_SECRET: SECRET,
  CONSISTENCY_WAIT_MS,
  // Breaches are found within a fraction of a second of being due.
  SLA_MONITOR_INTERVAL_MS: '200',
});

interface LeadView {
  id: string;
  stage: string;
  email: string | null;
  touchCount: number;
  scores: { fit: number; engagement: number } | null;
}

interface StatusRow {
  name: string;
  position: string;
  lagEvents: number;
  rebuilding: boolean;
}

const LEAD = `query Lead($id: ID!, $at: String) {
  lead(id: $id, consistentWith: $at) { id stage email touchCount scores { fit engagement } }
}`;

const STATUS = `query Status($at: String) {
  projectionStatus(consistentWith: $at) { name position lagEvents rebuilding }
}`;

/** The answer's data, failing with its errors (a STALE read included) when it has any. */
const dataOf = <T>(answer: GraphQLAnswer<T>, what: string): T => {
  if (answer.errors !== undefined || answer.status !== 200 || !answer.data) {
    throw new Error(`${what}: HTTP ${answer.status} ${JSON.stringify(answer.errors ?? answer)}`);
  }
  return answer.data;
};

/** One mutation of the usual shape (`{ position }` in its payload); returns that position. */
const mutate = async (
  server: ServerProcess,
  token: string,
  mutation: string,
  input: string,
): Promise<string> => {
  const answer = await server.gql<Record<string, { position: string }>>(
    `mutation { ${mutation}(input: { ${input} }) { position } }`,
    {},
    { token },
  );
  const position = dataOf(answer, mutation)[mutation]?.position;
  expect(position).toMatch(/^\d+$/);
  return position!;
};

const captureInput = (leadId: string, email: string) =>
  `leadId: "${leadId}", email: "${email}", segment: SMB, channel: CHAT`;

/** `lead(id, consistentWith: position)`, which must answer (never STALE). */
const readLead = async (
  server: ServerProcess,
  token: string,
  id: string,
  at: string,
): Promise<LeadView | null> =>
  dataOf(await server.gql<{ lead: LeadView | null }>(LEAD, { id, at }, { token }), `lead ${id}`)
    .lead;

/** `projectionStatus(consistentWith: at)`. */
const statusAt = async (server: ServerProcess, token: string, at: string): Promise<StatusRow[]> =>
  dataOf(
    await server.gql<{ projectionStatus: StatusRow[] }>(STATUS, { at }, { token }),
    'projectionStatus',
  ).projectionStatus;

/** Every projection has applied the log up to `head` and lags by nothing. */
const expectLevel = (rows: StatusRow[], head: string) => {
  expect(rows.length).toBeGreaterThan(3);
  expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
  for (const row of rows) {
    expect({ name: row.name, lagEvents: row.lagEvents, rebuilding: row.rebuilding }).toEqual({
      name: row.name,
      lagEvents: 0,
      rebuilding: false,
    });
    expect(row.position >= head).toBe(true);
  }
};

/** The JSON log lines at level error or fatal, and any line that is not JSON at all. */
const troubleIn = (stderr: string): string[] =>
  stderr
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => {
      try {
        const { level } = JSON.parse(line) as { level?: unknown };
        return level === 'error' || level === 'fatal';
      } catch {
        // console output of a thread that bypassed the logger (e.g. an unhandled error).
        return /error|fail|exception/i.test(line);
      }
    });

/**
 * The values of one metric in /metrics, by the serialized labels of each series, e.g.
 * `category="lead"` or `category="lead",outcome="ok"` (absent: no such series yet).
 */
const seriesOf = async (server: ServerProcess, name: string): Promise<Map<string, number>> => {
  const { status, body } = await server.get('/metrics');
  expect(status).toBe(200);
  return new Map(
    [...body.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))].map((m) => [
      m[1]!,
      Number(m[2]),
    ]),
  );
};

/** Events appended to lead streams and appends to them that succeeded, as /metrics counts them. */
const leadAppends = async (server: ServerProcess) => ({
  events: (await seriesOf(server, 'leadledger_events_appended_total')).get('category="lead"') ?? 0,
  timed:
    (await seriesOf(server, 'leadledger_event_append_duration_seconds_count')).get(
      'category="lead",outcome="ok"',
    ) ?? 0,
});

/** The e-mail in a lead's LeadCaptured event as `leadHistory` decrypts it (null once erased). */
const capturedEmail = async (
  server: ServerProcess,
  token: string,
  leadId: string,
): Promise<string | null | undefined> => {
  const history = dataOf(
    await server.gql<{
      leadHistory: { events: Array<{ type: string; data: { email?: unknown } }> };
    }>(
      `query ($id: ID!) { leadHistory(leadId: $id) { events { type data } } }`,
      { id: leadId },
      { token },
    ),
    'leadHistory',
  ).leadHistory;
  const captured = history.events.find((e) => e.type === 'LeadCaptured');
  return captured?.data.email as string | null | undefined;
};

/**
 * Open descriptors of the process on exactly this file, from /proc (undefined elsewhere than
 * Linux): each store connection holds one on its database file.
 */
const descriptorsOn = (pid: number, file: string): number | undefined => {
  const dir = `/proc/${pid}/fd`;
  if (!existsSync(dir)) return undefined;
  let count = 0;
  for (const fd of readdirSync(dir)) {
    try {
      if (readlinkSync(join(dir, fd)) === file) count += 1;
    } catch {
      // Closed meanwhile.
    }
  }
  return count;
};

type Push = FormattedExecutionResult<Record<string, Record<string, unknown>>, unknown>;

/** A graphql-ws client on the server's /graphql, as the given bearer token. */
const wsClient = (server: ServerProcess, token: string): Client =>
  createClient({
    url: `${server.base.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });

/** A subscription that records every push; `next(wanted)` resolves with the first that fits. */
const subscribe = (client: Client, query: string) => {
  const pushes: Push[] = [];
  let failure: unknown;
  const listeners = new Set<() => void>();
  const dispose = client.subscribe<Record<string, Record<string, unknown>>>(
    { query },
    {
      next: (push) => {
        pushes.push(push);
        for (const listener of listeners) listener();
      },
      error: (error) => {
        failure = error;
        for (const listener of listeners) listener();
      },
      complete: () => undefined,
    },
  );
  const next = (wanted: (push: Push) => boolean, timeoutMs: number): Promise<Push> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = pushes.find(wanted);
        if (found || failure !== undefined) {
          clearTimeout(timer);
          listeners.delete(check);
          if (found) resolve(found);
          else reject(new Error(`subscription failed: ${JSON.stringify(failure)}`));
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(
          new Error(
            `no wanted push within ${timeoutMs} ms; got ${JSON.stringify(pushes.map((p) => p.data ?? p.errors))}`,
          ),
        );
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  return { pushes, next, stop: () => dispose() };
};

beforeAll(() => buildDist(), 240_000);
afterAll(() => killSpawned());

describe('leadledger serve with the projections in a worker thread (the compiled server)', () => {
  let dir: string;
  let server: ServerProcess;
  let marketing: string;
  let analyst: string;
  let admin: string;
  /** A lead and the position of its last change, checked again after the restart. */
  const kept = { id: `kept-${randomUUID().slice(0, 8)}`, position: '', touches: 0 };
  const clients: Client[] = [];

  beforeAll(async () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'leadledger-thread-')));
    [marketing, analyst, admin] = await Promise.all([
      signToken(SECRET, 'mia', ['MARKETING']),
      signToken(SECRET, 'ann', ['ANALYST']),
      signToken(SECRET, 'ada', ['ADMIN']),
    ]);
    server = await startServerProcess({
      env: envFor(dir),
      args: ['--projections-thread'],
      startTimeoutMs: 90_000,
    });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map(async (c) => c.dispose()));
    await killSpawned();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers lead(consistentWith) at the position of each write with the write applied, never STALE', async () => {
    const email = `${kept.id}@example.com`;
    let position = await mutate(server, marketing, 'captureLead', captureInput(kept.id, email));
    expect(await readLead(server, marketing, kept.id, position)).toEqual({
      id: kept.id,
      stage: 'LEAD',
      email,
      touchCount: 0,
      scores: null,
    });
    // Each write is read back at once: the same query, so a cached answer must not hide it.
    for (let touch = 1; touch <= 4; touch++) {
      position = await mutate(
        server,
        marketing,
        'recordTouch',
        `leadId: "${kept.id}", channel: EMAIL`,
      );
      const lead = await readLead(server, marketing, kept.id, position);
      expect(lead).toMatchObject({ id: kept.id, touchCount: touch });
    }
    position = await mutate(
      server,
      marketing,
      'scoreLead',
      `leadId: "${kept.id}", fit: 42, engagement: 7`,
    );
    expect((await readLead(server, marketing, kept.id, position))?.scores).toEqual({
      fit: 42,
      engagement: 7,
    });
    position = await mutate(server, marketing, 'qualifyLead', `leadId: "${kept.id}"`);
    expect(await readLead(server, marketing, kept.id, position)).toEqual({
      id: kept.id,
      stage: 'MQL',
      email,
      touchCount: 4,
      scores: { fit: 42, engagement: 7 },
    });
    Object.assign(kept, { position, touches: 4 });
  }, 60_000);

  it('reads its writes when several clients write at once', async () => {
    const ids = Array.from({ length: 8 }, (_, i) => `burst-${i}-${randomUUID().slice(0, 8)}`);
    const positions = await Promise.all(
      ids.map((id) =>
        mutate(server, marketing, 'captureLead', captureInput(id, `${id}@example.com`)),
      ),
    );
    expect(new Set(positions).size).toBe(ids.length);
    const leads = await Promise.all(
      ids.map((id, i) => readLead(server, marketing, id, positions[i]!)),
    );
    expect(leads.map((lead) => lead && { id: lead.id, email: lead.email })).toEqual(
      ids.map((id) => ({ id, email: `${id}@example.com` })),
    );
  }, 60_000);

  it('shows every projection level with the log (projectionStatus, /metrics) and is ready', async () => {
    const head = await mutate(
      server,
      marketing,
      'captureLead',
      captureInput(`status-${randomUUID().slice(0, 8)}`, 'status@example.com'),
    );
    const rows = await statusAt(server, analyst, head);
    expectLevel(rows, head);

    const ready = await server.get('/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({
      status: 'ready',
      checks: { eventStore: 'ok', readStore: 'ok', laggingProjections: [] },
    });

    // The gauges read the same status, for every projection.
    const metrics = (await server.get('/metrics')).body;
    const gauge = (name: string) =>
      new Map(
        [...metrics.matchAll(new RegExp(`^${name}\\{projection="([^"]+)"\\} (\\S+)$`, 'gm'))].map(
          (m) => [m[1]!, Number(m[2])],
        ),
      );
    const names = rows.map((r) => r.name).sort();
    const lag = gauge('leadledger_projection_lag_events');
    const position = gauge('leadledger_projection_position');
    expect([...lag.keys()].sort()).toEqual(names);
    expect([...lag.values()].every((v) => v === 0)).toBe(true);
    expect([...position.values()].every((v) => v >= Number(head))).toBe(true);
  }, 60_000);

  it('pushes leadChanged for a lead captured after subscribing, and slaBreached found by the monitor in the thread', async () => {
    const client = wsClient(server, analyst);
    clients.push(client);
    // The client connects on its first subscribe.
    const connected = new Promise<void>((resolve) => client.on('connected', () => resolve()));
    const breaches = subscribe(
      client,
      `subscription { slaBreached(team: "emea") { leadId kind ownerRepId team position } }`,
    );
    const changes = subscribe(
      client,
      `subscription { leadChanged { leadId eventType position lead { id stage } } }`,
    );
    await connected;
    // Live once a lead captured now is pushed (a capture racing the subscribe may be missed).
    await waitUntil(
      'the leadChanged subscription to push a warm-up capture',
      async () => {
        const id = `warm-${randomUUID().slice(0, 8)}`;
        await mutate(server, marketing, 'captureLead', captureInput(id, `${id}@example.com`));
        return changes
          .next((p) => p.data?.leadChanged?.leadId === id, 1500)
          .then(
            () => true,
            () => false,
          );
      },
      60_000,
      0,
    );

    const id = `live-${randomUUID().slice(0, 8)}`;
    const captured = await mutate(
      server,
      marketing,
      'captureLead',
      captureInput(id, `${id}@example.com`),
    );
    const change = await changes.next(
      (p) => p.data?.leadChanged?.leadId === id && p.data.leadChanged.eventType === 'LeadCaptured',
      20_000,
    );
    // Pushed once the thread had applied it: the lead it carries is read from the read model.
    expect(change).toEqual({
      data: {
        leadChanged: {
          leadId: id,
          eventType: 'LeadCaptured',
          position: captured,
          lead: { id, stage: 'LEAD' },
        },
      },
    });

    // A handoff already 48 h overdue: the SLA monitor, in the thread, appends the breach, and
    // the API's event loop pushes it.
    const late = `late-${randomUUID().slice(0, 8)}`;
    const before = await leadAppends(server);
    const past = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();
    await mutate(
      server,
      marketing,
      'captureLead',
      `${captureInput(late, `${late}@example.com`)}, occurredAt: "${past(50)}"`,
    );
    await mutate(server, marketing, 'qualifyLead', `leadId: "${late}", occurredAt: "${past(49)}"`);
    const handedOff = await mutate(
      server,
      marketing,
      'handOffLead',
      `leadId: "${late}", repId: "rex", team: "emea", occurredAt: "${past(48)}"`,
    );
    const breach = await breaches.next((p) => p.data?.slaBreached?.leadId === late, 30_000);
    expect(breach.data?.slaBreached).toMatchObject({
      leadId: late,
      ownerRepId: 'rex',
      team: 'emea',
    });
    const breachedAt = breach.data!.slaBreached!.position as string;
    expect(breachedAt > handedOff).toBe(true);
    // Written in the thread, read here at once: the lead's SLA status at the breach's position.
    const sla = dataOf(
      await server.gql<{ lead: { slaStatus: string } }>(
        `query ($id: ID!, $at: String) { lead(id: $id, consistentWith: $at) { slaStatus } }`,
        { id: late, at: breachedAt },
        { token: marketing },
      ),
      'lead slaStatus',
    );
    expect(sla.lead.slaStatus).toBe('BREACHED');

    // /metrics counts the thread's appends too: the breach (recordSlaBreach, on the lead's
    // stream) beside the three events written here. The thread sends its appends to this event
    // loop by message, which may come after the push: waited for, at most a few seconds.
    let appended = { events: 0, timed: 0 };
    await waitUntil(
      'the breach to be counted in leadledger_events_appended_total',
      async () => {
        const now = await leadAppends(server);
        appended = { events: now.events - before.events, timed: now.timed - before.timed };
        return appended.events >= 4;
      },
      10_000,
    ).catch(() => undefined);
    // Nothing else writes to a lead stream meanwhile: exactly the 3 written and the breach.
    expect(appended.events).toBe(4);
    // Each append timed (a deduplicated retry of the breach would be timed without an event).
    expect(appended.timed).toBeGreaterThanOrEqual(4);
    breaches.stop();
    changes.stop();
  }, 120_000);

  it('forgets a lead erased by another process on the same DATA_DIR within seconds, not at the key-cache expiry', async () => {
    // An API replica beside this server: its forgetLead deletes the key in the shared key
    // store; this server's vault, which cached the key when it read the lead, must drop it when
    // its erasure follower sees LeadForgotten in the log (the cache alone keeps it for 60 s).
    const replica = await startServerProcess({
      env: envFor(dir),
      args: ['--no-projections'],
      startTimeoutMs: 90_000,
    });
    try {
      const id = `erase-${randomUUID().slice(0, 8)}`;
      const email = `${id}@example.com`;
      const captured = await mutate(server, marketing, 'captureLead', captureInput(id, email));
      expect((await readLead(server, admin, id, captured))?.email).toBe(email);
      // Decrypted here, so the key is in this server's cache.
      expect(await capturedEmail(server, admin, id)).toBe(email);

      const forgotten = await mutate(
        replica,
        admin,
        'forgetLead',
        `leadId: "${id}", reason: "Erasure request (GDPR Art. 17)"`,
      );
      // Gone at once where it was erased.
      expect(await capturedEmail(replica, admin, id)).toBeNull();

      // A correctness bound, far below the 60 s the cached key would otherwise live: the
      // follower polls the log every quarter second.
      const boundMs = 15_000;
      const started = Date.now();
      let seen: string | null | undefined = email;
      await waitUntil(
        'this server to read the erased e-mail as null',
        async () => {
          seen = await capturedEmail(server, admin, id);
          return seen === null;
        },
        boundMs,
      ).catch(() => undefined);
      expect({ email: seen, withinBound: Date.now() - started <= boundMs + 1000 }).toEqual({
        email: null,
        withinBound: true,
      });
      // The thread projected the erasure written by the other process as well.
      const lead = dataOf(
        await server.gql<{ lead: { email: string | null; forgotten: boolean } | null }>(
          `query ($id: ID!, $at: String) { lead(id: $id, consistentWith: $at) { email forgotten } }`,
          { id, at: forgotten },
          { token: admin },
        ),
        'lead after forget',
      ).lead;
      expect(lead).toEqual({ email: null, forgotten: true });
    } finally {
      const exit = await replica.terminate(60_000);
      expect(exit).toEqual({ code: 0, signal: null });
      expect(troubleIn(replica.stderr())).toEqual([]);
    }
  }, 120_000);

  it('the default (inline projections) reads its writes too, with no projector of its own beside the API', async () => {
    const inlineDir = realpathSync(mkdtempSync(join(tmpdir(), 'leadledger-inline-')));
    const inline = await startServerProcess({
      env: envFor(inlineDir),
      args: [],
      startTimeoutMs: 90_000,
    });
    try {
      const id = `inline-${randomUUID().slice(0, 8)}`;
      const email = `${id}@example.com`;
      const captured = await mutate(inline, marketing, 'captureLead', captureInput(id, email));
      expect(await readLead(inline, marketing, id, captured)).toEqual({
        id,
        stage: 'LEAD',
        email,
        touchCount: 0,
        scores: null,
      });
      const touched = await mutate(
        inline,
        marketing,
        'recordTouch',
        `leadId: "${id}", channel: EMAIL`,
      );
      expect(await readLead(inline, marketing, id, touched)).toMatchObject({ id, touchCount: 1 });
      expectLevel(await statusAt(inline, analyst, touched), touched);
      expect((await inline.get('/readyz')).status).toBe(200);

      // The two layouts differ in what they open (Linux only: /proc). One key-store connection
      // per copy of the app: inline just the API's; threaded the API's and the projector's.
      const keys = (pid: number, d: string) => descriptorsOn(pid, join(d, 'keys.db'));
      const threaded = keys(server.pid, dir);
      const inLoop = keys(inline.pid, inlineDir);
      if (threaded !== undefined && inLoop !== undefined) {
        // Fails when `serve` silently fell back to running the projections on the event loop.
        expect({ threaded, inline: inLoop, threadedOpensMore: threaded > inLoop }).toEqual({
          threaded,
          inline: expect.any(Number),
          threadedOpensMore: true,
        });
        expect(inLoop).toBeGreaterThan(0);
      }
    } finally {
      const exit = await inline.terminate(60_000);
      const log = inline.stderr();
      rmSync(inlineDir, { recursive: true, force: true });
      expect(exit).toEqual({ code: 0, signal: null });
      expect(troubleIn(log)).toEqual([]);
    }
  }, 120_000);

  it('stops cleanly on SIGTERM and serves the same data after a restart on the same DATA_DIR', async () => {
    const started = Date.now();
    const exit = await server.terminate(60_000);
    const stopMs = Date.now() - started;
    expect(exit).toEqual({ code: 0, signal: null });
    // Well before the 30 s the thread is given to finish: it stopped when told.
    expect(stopMs).toBeLessThan(20_000);
    const log = server.stderr();
    expect(log).toContain('SIGTERM: shutting down');
    // The thread never failed nor was restarted, and nothing logged an error.
    expect(troubleIn(log)).toEqual([]);

    server = await startServerProcess({
      env: envFor(dir),
      args: ['--projections-thread'],
      startTimeoutMs: 90_000,
    });
    // Already applied before the stop: no wait, the same lead.
    expect(await readLead(server, marketing, kept.id, kept.position)).toEqual({
      id: kept.id,
      stage: 'MQL',
      email: `${kept.id}@example.com`,
      touchCount: kept.touches,
      scores: { fit: 42, engagement: 7 },
    });
    // The new thread projects where the old one stopped (its leases were released at the stop,
    // so it does not wait PROJECTOR_LEASE_MS for them).
    const position = await mutate(
      server,
      marketing,
      'recordTouch',
      `leadId: "${kept.id}", channel: EMAIL`,
    );
    expect(await readLead(server, marketing, kept.id, position)).toMatchObject({
      touchCount: kept.touches + 1,
    });
    expectLevel(await statusAt(server, admin, position), position);
    expect((await server.get('/readyz')).status).toBe(200);

    expect(await server.terminate(60_000)).toEqual({ code: 0, signal: null });
    expect(troubleIn(server.stderr())).toEqual([]);
  }, 240_000);
});
