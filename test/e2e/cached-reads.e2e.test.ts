import { startServer, type TestServer } from '../support/server';

/**
 * Repeated read-model queries are answered from caches while the read models are unchanged
 * (graphql/result-cache.ts, graphql/response-cache.ts): what a client reads must be exactly what
 * a fresh read gives, for its role, and a write must show as soon as the projections apply it.
 */
describe('cached reads (embedded read models)', () => {
  let server: TestServer;
  let sales: string;
  let analyst: string;
  let marketing: string;

  beforeAll(async () => {
    server = await startServer();
    [sales, analyst, marketing] = await Promise.all([
      server.token('rep-1', ['SALES']),
      server.token('analyst-1', ['ANALYST']),
      server.token('mkt-1', ['MARKETING']),
    ]);
  });
  afterAll(() => server.stop());

  const LEADS = `query Inbox($segment: Segment!) {
    leads(first: 10, filter: { segment: { eq: $segment } }) {
      totalCount edges { node { id email name company stage } }
    }
  }`;
  const FUNNEL = `query Funnel($from: DateTime!, $to: DateTime!) {
    funnel(from: $from, to: $to, groupBy: [SEGMENT]) { groups { key { segment } stages { stage count } } }
  }`;
  const CAPTURE = `mutation Capture($input: CaptureLeadInput!) {
    captureLead(input: $input) { leadId position }
  }`;
  const day = 86_400_000;
  const year = {
    from: new Date(Date.now() - 180 * day).toISOString(),
    to: new Date(Date.now() + 180 * day).toISOString(),
  };

  const capture = async (n: number) => {
    const res = await server.gql<{ captureLead: { leadId: string; position: string } }>(
      CAPTURE,
      {
        input: {
          email: `cached-${n}@example.com`,
          name: `Cached ${n}`,
          company: 'Cache Co',
          segment: 'SMB',
          channel: 'EMAIL',
        },
      },
      marketing,
    );
    expect(res.errors).toBeUndefined();
    return res.data!.captureLead;
  };

  const waitUntil = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 200; i += 1) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('not reached');
  };

  it('answers a repeated query the same, masked per role, and sees each new write', async () => {
    const first = await capture(1);
    const seen = await server.gql(
      `query ($p: String) { leads(first: 1, consistentWith: $p) { totalCount } }`,
      { p: first.position },
      sales,
    );
    expect(seen.data?.leads.totalCount).toBe(1);

    const bySales = await server.gql(LEADS, { segment: 'SMB' }, sales);
    expect(await server.gql(LEADS, { segment: 'SMB' }, sales)).toEqual(bySales);
    expect(bySales.data?.leads.edges[0].node).toMatchObject({
      email: 'cached-1@example.com',
      name: 'Cached 1',
    });
    // The same query as another role: its own answer, PII masked.
    const byAnalyst = await server.gql(LEADS, { segment: 'SMB' }, analyst);
    expect(byAnalyst.data?.leads.edges[0].node).toMatchObject({ email: '***', name: '***' });
    expect(await server.gql(LEADS, { segment: 'SMB' }, analyst)).toEqual(byAnalyst);
    expect(await server.gql(LEADS, { segment: 'SMB' }, sales)).toEqual(bySales);

    const funnel = await server.gql(FUNNEL, year, analyst);
    expect(funnel.errors).toBeUndefined();
    expect(funnel.data?.funnel.groups).toHaveLength(1);
    expect(await server.gql(FUNNEL, year, analyst)).toEqual(funnel);

    // A write, and without consistentWith: the answer changes once the projections applied it.
    await capture(2);
    await waitUntil(
      async () => (await server.gql(LEADS, { segment: 'SMB' }, sales)).data?.leads.totalCount === 2,
    );
    await waitUntil(async () => {
      const res = await server.gql(FUNNEL, year, analyst);
      return JSON.stringify(res) !== JSON.stringify(funnel);
    });

    // With consistentWith: the write is there on the first answer.
    const third = await capture(3);
    const fresh = await server.gql(
      `query ($p: String) { leads(first: 10, filter: { segment: { eq: SMB } }, consistentWith: $p) { totalCount } }`,
      { p: third.position },
      sales,
    );
    expect(fresh.data?.leads.totalCount).toBe(3);
    expect((await server.gql(LEADS, { segment: 'SMB' }, sales)).data?.leads.totalCount).toBe(3);
  });

  it('keeps refusing what it refused: no cached answer for a role without the right', async () => {
    const res = await server.gql(LEADS, { segment: 'SMB' });
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.data ?? null).toBeNull();
  });
});
