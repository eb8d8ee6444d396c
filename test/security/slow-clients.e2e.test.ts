import { connect, type Socket } from 'node:net';
import { startServer, type TestServer } from '../support/server';

/**
 * Slow clients (issue 9 §3): slowloris sockets sending their headers a byte at a time, bodies
 * trickled a byte at a time, and sockets that open and send nothing. The server must keep
 * answering other clients quickly while they hang on, and cut each of them off with 408.
 * REQUEST_TIMEOUT_MS is 2 s here; Node checks its request and header timeouts only every
 * `connectionsCheckingInterval` (30 s by default), which bounds how long a slow client lasts.
 */

const REQUEST_TIMEOUT_MS = 2_000;
/** Node's default http.Server connectionsCheckingInterval. */
const NODE_CHECK_INTERVAL_MS = 30_000;
const HEADER_SOCKETS = 100;
const BODY_SOCKETS = 20;
const IDLE_SOCKETS = 20;
const PROBE_BOUND_MS = 1_000;

interface SlowClient {
  kind: 'headers' | 'body' | 'idle';
  /** ms from connect until the server closed the socket. */
  closedAfterMs: number;
  /** What the server sent before closing. */
  received: string;
}

/** A socket that sends `head`, then `trickle` one byte every `everyMs`, until the server closes it. */
const slowClient = (
  port: number,
  kind: SlowClient['kind'],
  head: string,
  trickle: string,
  everyMs: number,
): Promise<SlowClient> =>
  new Promise((resolve) => {
    const started = performance.now();
    const socket: Socket = connect(port, '127.0.0.1');
    let received = '';
    let sent = 0;
    socket.once('connect', () => {
      if (head) socket.write(head);
    });
    const timer = setInterval(() => {
      if (sent < trickle.length && !socket.destroyed && socket.writable) {
        socket.write(trickle[sent]!);
        sent += 1;
      }
    }, everyMs);
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearInterval(timer);
      resolve({ kind, closedAfterMs: performance.now() - started, received });
    });
  });

describe('slow clients', () => {
  let server: TestServer;
  let analyst: string;
  let clients: Promise<SlowClient[]>;
  const probes: number[] = [];

  beforeAll(async () => {
    server = await startServer({
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      SLA_MONITOR_INTERVAL_MS: '600000',
    });
    analyst = await server.token('ann', ['ANALYST']);
    const port = server.running.port;
    const body = JSON.stringify({ query: '{ projectionStatus { name } }' });
    const headers = [
      'POST /graphql HTTP/1.1',
      'Host: 127.0.0.1',
      'Content-Type: application/json',
      `Authorization: Bearer ${analyst}`,
      `Content-Length: ${body.length}`,
      `X-Padding: ${'p'.repeat(2_000)}`,
      '',
      '',
    ].join('\r\n');
    clients = Promise.all([
      // Slowloris: the request line and headers, one byte every 250 ms (never finished in time).
      ...Array.from({ length: HEADER_SOCKETS }, () =>
        slowClient(port, 'headers', '', headers + body, 250),
      ),
      // Headers at once, then a body announced as 10 kB, one byte every 200 ms.
      ...Array.from({ length: BODY_SOCKETS }, () =>
        slowClient(
          port,
          'body',
          headers.replace(`Content-Length: ${body.length}`, 'Content-Length: 10000'),
          ' '.repeat(10_000),
          200,
        ),
      ),
      // Connect and say nothing.
      ...Array.from({ length: IDLE_SOCKETS }, () => slowClient(port, 'idle', '', '', 1_000)),
    ]);
  });
  afterAll(() => server.stop());

  it('keeps answering other clients quickly while slow clients hang on', async () => {
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      const res = await server.gql('{ leads(first: 5) { totalCount } }', {}, analyst);
      probes.push(performance.now() - started);
      expect(res.errors).toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(Math.max(...probes)).toBeLessThan(PROBE_BOUND_MS);
  });

  it("cuts every slow client off with 408, within REQUEST_TIMEOUT_MS plus Node's check interval", async () => {
    const done = await clients;
    const bound = REQUEST_TIMEOUT_MS + NODE_CHECK_INTERVAL_MS + 5_000;
    for (const kind of ['headers', 'body', 'idle'] as const) {
      const ofKind = done.filter((c) => c.kind === kind);
      expect({
        kind,
        slowestMs: Math.max(...ofKind.map((c) => c.closedAfterMs)) < bound ? 'in time' : 'late',
        answers: [...new Set(ofKind.map((c) => c.received.split('\r\n')[0]))],
      }).toEqual({ kind, slowestMs: 'in time', answers: ['HTTP/1.1 408 Request Timeout'] });
    }
    // And the server still answers.
    const res = await server.gql('{ leads(first: 5) { totalCount } }', {}, analyst);
    expect(res.errors).toBeUndefined();
  }, 60_000);

  // Was a bug, fixed (src/server/http.ts, createHttpServer): server.requestTimeout/headersTimeout are set, but
  // Node enforces them only every connectionsCheckingInterval, 30 s by default, so a slow client
  // holds its socket (and a file descriptor) up to REQUEST_TIMEOUT_MS + 30 s, and the README's
  // "longest request" is not what a slowloris gets. Proposed fix: createServer({
  // connectionsCheckingInterval: Math.min(1_000, requestTimeoutMs / 2) }, …), and consider
  // server.maxConnections so thousands of slow sockets cannot exhaust file descriptors.
  it('cuts slow clients off within REQUEST_TIMEOUT_MS plus a second or two', async () => {
    const done = await clients;
    const slowest = Math.max(...done.map((c) => c.closedAfterMs));
    expect(slowest).toBeLessThan(REQUEST_TIMEOUT_MS + 2_000);
  }, 60_000);
});
