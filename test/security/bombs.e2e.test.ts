import { startServer, type TestServer } from '../support/server';

/**
 * Query bombs and oversized requests (issue 9 §3): each is refused with the documented code
 * (QUERY_TOO_COMPLEX, GRAPHQL_PARSE_FAILED/GRAPHQL_VALIDATION_FAILED, BAD_USER_INPUT, 400, 413),
 * never INTERNAL, quickly; while it is handled, a normal query from another client still answers
 * within PROBE_BOUND_MS; and it writes nothing. errors.e2e and http.e2e cover the basic limits
 * (one query just over each limit, a small body over BODY_LIMIT_BYTES); these are the attacks.
 * The server runs in this process, so a bomb that blocks its event loop shows up as a slow probe.
 */

/** A normal query from another client must answer within this while a bomb is handled. */
const PROBE_BOUND_MS = 1_000;
/** The bomb itself must be refused within this. */
const REFUSAL_BOUND_MS = 2_000;

interface Answer {
  status: number;
  text: string;
  codes: unknown[];
  ms: number;
}

/** A request whose fragments spread the next one twice, `levels` deep: 2^levels leaf selections. */
const fanOut = (levels: number, leaf: string, prefix = 'F') => {
  let fragments = '';
  for (let i = 0; i < levels; i++) {
    fragments += ` fragment ${prefix}${i} on Query { ...${prefix}${i + 1} ...${prefix}${i + 1} }`;
  }
  return `${fragments} fragment ${prefix}${levels} on Query { ${leaf} }`;
};

describe('query bombs and oversized requests', () => {
  let server: TestServer;
  let admin: string;
  let analyst: string;

  beforeAll(async () => {
    server = await startServer({ SLA_MONITOR_INTERVAL_MS: '600000' });
    admin = await server.token('root', ['ADMIN']);
    analyst = await server.token('ann', ['ANALYST']);
    const mia = await server.token('mia', ['MARKETING']);
    // A few leads, so the probe and the pages read something.
    for (let i = 0; i < 5; i++) {
      await server.gql(
        `mutation { captureLead(input: { email: "bomb${i}@example.com", segment: SMB, channel: EMAIL }) { leadId } }`,
        {},
        mia,
      );
    }
  });
  afterAll(() => server.stop());

  const head = () => server.running.app.events.headPosition();

  const send = async (
    body: string | Uint8Array | ReadableStream<Uint8Array>,
    headers: Record<string, string> = {},
    token: string | undefined = admin,
  ): Promise<Answer> => {
    const started = performance.now();
    // A streamed body needs half-duplex (undici), which RequestInit's type does not name.
    const init: RequestInit & { duplex?: 'half' } = {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body,
    };
    if (body instanceof ReadableStream) init.duplex = 'half';
    const res = await fetch(server.url, init);
    const text = await res.text();
    let codes: unknown[];
    try {
      const parsed = JSON.parse(text) as { errors?: Array<{ extensions?: { code?: unknown } }> };
      codes = (parsed.errors ?? []).map((e) => e.extensions?.code);
    } catch {
      codes = ['(not JSON)'];
    }
    return { status: res.status, text, codes, ms: performance.now() - started };
  };
  const query = (q: string, variables: Record<string, unknown> = {}, token = admin) =>
    send(JSON.stringify({ query: q, variables }), {}, token);

  /**
   * From another client, probes a normal query back to back; once one has answered, sends the
   * bomb, and probes on until the bomb is answered. A probe is always in flight while the bomb is
   * handled, so the slowest probe says how long other clients waited.
   */
  const underBomb = async (bomb: () => Promise<Answer>) => {
    const before = await head();
    const probes: number[] = [];
    let done = false;
    let firstProbe: () => void = () => undefined;
    const probed = new Promise<void>((resolve) => (firstProbe = resolve));
    const probing = (async () => {
      do {
        const started = performance.now();
        const res = await query('{ leads(first: 5) { totalCount } }', {}, analyst);
        probes.push(performance.now() - started);
        if (res.status !== 200) throw new Error(`the probe failed: ${res.text}`);
        firstProbe();
      } while (!done);
    })();
    await probed;
    const result = await bomb().finally(() => (done = true));
    await probing;
    return { ...result, probeMaxMs: Math.max(...probes), wrote: (await head()) !== before };
  };

  /** Refused with one of `codes` (and one of `statuses`), quickly, the probe quick, nothing written. */
  const expectRefused = (
    result: Answer & { probeMaxMs: number; wrote: boolean },
    codes: string[],
    statuses = [400],
  ) => {
    const code = result.codes[0];
    const actual = {
      status: result.status,
      code,
      internal: result.codes.includes('INTERNAL'),
      refusedMs: Math.round(result.ms),
      probeMaxMs: Math.round(result.probeMaxMs),
      wrote: result.wrote,
    };
    expect(actual).toEqual({
      status: statuses.includes(result.status) ? result.status : `one of ${statuses.join(', ')}`,
      code: codes.includes(code as string)
        ? code
        : `one of ${codes.join(', ')} (${result.text.slice(0, 200)})`,
      internal: false,
      refusedMs: actual.refusedMs < REFUSAL_BOUND_MS ? actual.refusedMs : `< ${REFUSAL_BOUND_MS}`,
      probeMaxMs: actual.probeMaxMs < PROBE_BOUND_MS ? actual.probeMaxMs : `< ${PROBE_BOUND_MS}`,
      wrote: false,
    });
  };

  describe('depth, aliases, fragments', () => {
    it('deep introspection (ofType 60 levels) is QUERY_TOO_COMPLEX', async () => {
      const q = `{ __schema { types { fields { type { ${'ofType { '.repeat(60)} name ${'} '.repeat(60)} } } } } }`;
      expectRefused(await underBomb(() => query(q)), ['QUERY_TOO_COMPLEX']);
    });

    it('an alias flood of 3000 fields is QUERY_TOO_COMPLEX', async () => {
      const q = `{ ${Array.from({ length: 3000 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
      expectRefused(await underBomb(() => query(q)), ['QUERY_TOO_COMPLEX']);
    });

    it('aliases hidden in a fragment spread several times are counted', async () => {
      const aliases = Array.from({ length: 10 }, (_, i) => `x${i}: __typename`).join(' ');
      const q = `query { ...A ...B } fragment A on Query { ${aliases} } fragment B on Query { ...A ... on Query { ...A ...A } }`;
      expectRefused(await underBomb(() => query(q)), ['QUERY_TOO_COMPLEX']);
    });

    it('a flood of one field repeated 3000 times (no aliases) is refused', async () => {
      const q = `{ ${'projectionStatus { name } '.repeat(3000)} }`;
      expectRefused(await underBomb(() => query(q)), [
        'GRAPHQL_VALIDATION_FAILED',
        'GRAPHQL_PARSE_FAILED',
        'QUERY_TOO_COMPLEX',
      ]);
    });

    it('a directive flood is refused', async () => {
      const q = `{ __typename ${'@include(if: true) '.repeat(3000)} }`;
      expectRefused(await underBomb(() => query(q)), [
        'GRAPHQL_VALIDATION_FAILED',
        'GRAPHQL_PARSE_FAILED',
      ]);
    });

    it('inline fragments nested 5000 deep are refused while parsing', async () => {
      const q = `{ ${'... on Query { '.repeat(5000)} __typename ${'} '.repeat(5000)} }`;
      expectRefused(await underBomb(() => query(q)), ['GRAPHQL_PARSE_FAILED']);
    });

    it('a document of 100k tokens is refused while parsing', async () => {
      expectRefused(await underBomb(() => query(`query ${'a '.repeat(100_000)}`)), [
        'GRAPHQL_PARSE_FAILED',
      ]);
    });

    it('fragment cycles are GRAPHQL_VALIDATION_FAILED', async () => {
      const direct = `query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }`;
      expectRefused(await underBomb(() => query(direct)), ['GRAPHQL_VALIDATION_FAILED']);
      const viaInline = `query { ...A } fragment A on Query { ... on Query { leads { edges { node { id } } } ...A } }`;
      expectRefused(await underBomb(() => query(viaInline)), ['GRAPHQL_VALIDATION_FAILED']);
    });

    it('2000 operations in one document run only the one named, or are refused', async () => {
      const ops = Array.from({ length: 2000 }, (_, i) => `query Q${i} { __typename }`).join(' ');
      const named = await underBomb(() =>
        send(JSON.stringify({ query: ops, operationName: 'Q7' })),
      );
      expect(named.codes.filter((c) => c === 'INTERNAL')).toEqual([]);
      expect(named.probeMaxMs).toBeLessThan(PROBE_BOUND_MS);
      expectRefused(await underBomb(() => query(ops)), [
        'OPERATION_RESOLUTION_FAILURE',
        'BAD_REQUEST',
      ]);
    });

    // Was a bug, fixed (src/graphql/limits.ts, measure): the depth/alias walk expands a fragment again at
    // every spread (`seen` only stops cycles), so a document of a few hundred bytes whose
    // fragments each spread the next one twice costs 2^levels steps on the event loop: at 20
    // levels ~2 s during which no other client is answered; at 30 levels, hours (a one-request
    // denial of service). Proposed fix: memoise each fragment's depth and alias count (depth of a
    // spread = the fragment's own depth + level; aliases = sum of its spreads' counts, capped),
    // and refuse documents whose fragment expansion exceeds a bound before measuring.
    it('a fragment fan-out bomb (2^20 spreads) is refused quickly', async () => {
      const q = `query { ...F0 } ${fanOut(20, 'projectionStatus { name }')}`;
      expectRefused(await underBomb(() => query(q)), [
        'QUERY_TOO_COMPLEX',
        'GRAPHQL_VALIDATION_FAILED',
      ]);
    });

    // Was a bug, fixed (src/graphql/limits.ts, checkLimits): any error thrown by graphql-query-complexity's
    // getComplexity is swallowed ("variables that do not coerce") and the query is admitted
    // unmeasured. getComplexity throws "Query exceeds the maximum allowed number of nodes" on a
    // large document, so padding a costly query with a 2^14 fragment fan-out of __typename
    // bypasses MAX_QUERY_COMPLEXITY: a page of 500 leads with 500 touches each (cost 751,501,
    // refused alone) runs. Proposed fix: catch only variable-coercion failures (coerce the
    // variables first with graphql's getVariableValues and skip the cost only when that fails);
    // refuse anything else getComplexity throws with QUERY_TOO_COMPLEX.
    it('a costly query padded past the estimator node limit is still QUERY_TOO_COMPLEX', async () => {
      const costly = `leads(first: 500) { edges { node { touches(first: 500) { edges { node { touchId } } } } } }`;
      const alone = await query(`{ ${costly} }`, {}, analyst);
      expect(alone.codes).toEqual(['QUERY_TOO_COMPLEX']);
      const padded = await underBomb(() =>
        query(`query { ${costly} ...P0 } ${fanOut(14, '__typename', 'P')}`, {}, analyst),
      );
      expectRefused(padded, ['QUERY_TOO_COMPLEX']);
    });
  });

  describe('huge lists and values', () => {
    it.each([
      ['leads(first: 100000) { totalCount }'],
      ['leads(last: 100000) { totalCount }'],
      ['slaBreaches(first: 100000) { totalCount }'],
      ['auditTrail(first: 100000) { totalCount }'],
      [
        'droppedLeads(first: 100000, from: "2026-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z") { totalCount }',
      ],
      ['leads(first: 5) { edges { node { touches(first: 100000) { totalCount } } } }'],
    ])('%s is refused', async (selection) => {
      expectRefused(await underBomb(() => query(`{ ${selection} }`)), [
        'BAD_USER_INPUT',
        'QUERY_TOO_COMPLEX',
      ]);
    });

    it('a filter of 100k ids (1 MB of variables) is refused', async () => {
      const ids = Array.from({ length: 100_000 }, (_, i) => `r${i}`);
      const q =
        'query Q($ids: [String!]) { leads(filter: { ownerRepId: { in: $ids } }) { totalCount } }';
      const result = await underBomb(() => query(q, { ids }));
      // Refused before graphql-js coerces 100k values one by one (src/server/http.ts).
      expectRefused(result, ['BAD_REQUEST'], [400]);
      expect(result.text).toContain('a list of more than 10000 values');
    });

    it('a 900 kB string in a mutation is refused and writes nothing', async () => {
      const q = 'mutation C($i: CaptureLeadInput!) { captureLead(input: $i) { leadId } }';
      const result = await underBomb(() =>
        query(q, {
          i: { email: 'a@b.co', name: 'n'.repeat(900_000), segment: 'SMB', channel: 'EMAIL' },
        }),
      );
      expectRefused(result, ['BAD_USER_INPUT'], [200]);
    });

    // Was a bug, fixed (src/server/http.ts, graphql → Apollo; graphql-js coerceInputValue recurses per level):
    // variables nested 5000 levels deep (a 50 kB body) overflow the stack while Apollo coerces
    // them: the answer is HTTP 400 "Internal error" with code INTERNAL, and an internal error is
    // logged for each such request (log flooding). Proposed fix: after JSON.parse in http.ts,
    // refuse a body whose variables nest deeper than a bound (e.g. 64) with 400 BAD_REQUEST, or
    // answer a RangeError raised before execution as BAD_REQUEST.
    it('variables nested 5000 levels deep are refused with a client error', async () => {
      const depth = 5000;
      const body = `{"query":"query Q($f: LeadFilter) { leads(filter: $f) { totalCount } }","variables":{"f":${'{"and":['.repeat(depth)}{"segment":{"eq":"SMB"}}${']}'.repeat(depth)}}}`;
      expectRefused(await underBomb(() => send(body)), ['BAD_USER_INPUT', 'BAD_REQUEST']);
    });
  });

  describe('oversized and batched bodies', () => {
    it('a 20 MB body with Content-Length is 413 at once', async () => {
      const body = new Uint8Array(20 * 1024 * 1024).fill(0x20);
      expectRefused(await underBomb(() => send(body)), ['BAD_REQUEST'], [413]);
    });

    it('a 20 MB chunked body (no Content-Length) is 413, the server draining it', async () => {
      const chunk = new Uint8Array(256 * 1024).fill(0x20);
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= 80) controller.close();
          else {
            sent += 1;
            controller.enqueue(chunk);
          }
        },
      });
      expectRefused(await underBomb(() => send(body)), ['BAD_REQUEST'], [413]);
    });

    it('a batch of operations (JSON array) is refused and runs none of them', async () => {
      const capture = {
        query: `mutation { captureLead(input: { email: "batch@example.com", segment: SMB, channel: EMAIL }) { leadId } }`,
      };
      const two = await underBomb(() => send(JSON.stringify([capture, capture])));
      expectRefused(two, ['BAD_REQUEST']);
      const many = await underBomb(() =>
        send(JSON.stringify(Array.from({ length: 5000 }, () => capture))),
      );
      expectRefused(many, ['BAD_REQUEST']);
    });

    it('a GET with a 100 kB query string is refused by the HTTP layer', async () => {
      const q = encodeURIComponent(`{ ${'__typename '.repeat(10_000)} }`);
      const result = await underBomb(async () => {
        const started = performance.now();
        const res = await fetch(`${server.url}?query=${q}`, {
          headers: { authorization: `Bearer ${admin}`, 'apollo-require-preflight': 'true' },
        });
        return {
          status: res.status,
          text: await res.text(),
          codes: ['(HTTP)'],
          ms: performance.now() - started,
        };
      });
      expect(result.status).toBe(431);
      expect(result.probeMaxMs).toBeLessThan(PROBE_BOUND_MS);
    });
  });

  it('the server is still up and answering after every bomb', async () => {
    expect((await fetch(server.url.replace('/graphql', '/healthz'))).status).toBe(200);
    const res = await query('{ leads(first: 5) { totalCount } }', {}, analyst);
    expect(res.codes).toEqual([]);
    expect(JSON.parse(res.text)).toEqual({ data: { leads: { totalCount: 5 } } });
  });
});
