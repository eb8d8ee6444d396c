import { apiBackends, codeOf, startServer, type TestServer } from '../support/server';

/** Lead lists: pagination both ways, filters, order, read-your-writes and PII per role. */
describe.each(apiBackends())('lead queries over HTTP, %s', (_name, backend) => {
  let server: TestServer;
  let mia: string;
  const ids: string[] = [];
  let lastPosition = '';

  const page = async (args: string, token: string) => {
    const res = await server.gql(
      `{ leads(${args}) { totalCount edges { cursor node { id segment } }
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`,
      {},
      token,
    );
    expect(res.errors).toBeUndefined();
    return res.data!.leads as {
      totalCount: number;
      edges: Array<{ cursor: string; node: { id: string; segment: string } }>;
      pageInfo: {
        hasNextPage: boolean;
        hasPreviousPage: boolean;
        startCursor: string;
        endCursor: string;
      };
    };
  };

  beforeAll(async () => {
    server = await startServer(backend());
    mia = await server.token('mia', ['MARKETING']);
    const base = Date.parse('2026-03-01T09:00:00Z');
    for (let i = 0; i < 7; i++) {
      const res = await server.gql(
        `mutation C($i: CaptureLeadInput!) { captureLead(input: $i) { leadId position } }`,
        {
          i: {
            leadId: `lead-${i}`,
            email: `person${i}@example.com`,
            name: `Person ${i}`,
            segment: i % 2 ? 'ENTERPRISE' : 'SMB',
            channel: i < 3 ? 'EMAIL' : 'WEBINAR',
            occurredAt: new Date(base + i * 3_600_000).toISOString(),
          },
        },
        mia,
      );
      expect(res.errors).toBeUndefined();
      ids.push(res.data!.captureLead.leadId as string);
      lastPosition = res.data!.captureLead.position as string;
    }
    await server.gql(
      `{ leads(first: 0, consistentWith: "${lastPosition}") { totalCount } }`,
      {},
      mia,
    );
  });
  afterAll(() => server.stop());

  it('pages forward and backward with opaque cursors, newest capture first by default', async () => {
    const newestFirst = [...ids].reverse();
    const p1 = await page('first: 3', mia);
    expect(p1.edges.map((e) => e.node.id)).toEqual(newestFirst.slice(0, 3));
    expect(p1.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(p1.totalCount).toBe(7);
    const p2 = await page(`first: 3, after: "${p1.pageInfo.endCursor}"`, mia);
    expect(p2.edges.map((e) => e.node.id)).toEqual(newestFirst.slice(3, 6));
    expect(p2.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    const p3 = await page(`first: 3, after: "${p2.pageInfo.endCursor}"`, mia);
    expect(p3.edges.map((e) => e.node.id)).toEqual(newestFirst.slice(6));
    expect(p3.pageInfo.hasNextPage).toBe(false);

    const back = await page(`last: 2, before: "${p3.pageInfo.startCursor}"`, mia);
    expect(back.edges.map((e) => e.node.id)).toEqual(newestFirst.slice(4, 6));
    expect(back.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
    const tail = await page('last: 2', mia);
    expect(tail.edges.map((e) => e.node.id)).toEqual(newestFirst.slice(5));
  });

  it('filters with eq/in/ranges combined with and/or, and orders as asked', async () => {
    const smbEmail = await page(
      'filter: { segment: { eq: SMB }, channel: { in: [EMAIL] } }, orderBy: { field: CAPTURED_AT, direction: ASC }',
      mia,
    );
    expect(smbEmail.edges.map((e) => e.node.id)).toEqual(['lead-0', 'lead-2']);
    const either = await page(
      'filter: { or: [{ segment: { eq: ENTERPRISE }, channel: { eq: EMAIL } }, { capturedAt: { gte: "2026-03-01T14:00:00Z" } }] }, orderBy: { field: CAPTURED_AT, direction: ASC }',
      mia,
    );
    expect(either.edges.map((e) => e.node.id)).toEqual(['lead-1', 'lead-5', 'lead-6']);
    const range = await page(
      'filter: { capturedAt: { gt: "2026-03-01T10:00:00Z", lte: "2026-03-01T12:00:00Z" } }, orderBy: { field: CAPTURED_AT, direction: ASC }',
      mia,
    );
    expect(range.edges.map((e) => e.node.id)).toEqual(['lead-2', 'lead-3']);
    const none = await page(
      'filter: { and: [{ segment: { eq: SMB } }, { segment: { eq: ENTERPRISE } }] }',
      mia,
    );
    expect(none.totalCount).toBe(0);
  });

  it('refuses a cursor of another ordering and pages over 500', async () => {
    const p1 = await page('first: 1', mia);
    const foreign = await server.gql(
      `{ leads(first: 1, after: "${p1.pageInfo.endCursor}", orderBy: { field: UPDATED_AT }) { totalCount } }`,
      {},
      mia,
    );
    expect(codeOf(foreign)).toBe('BAD_USER_INPUT');
    expect(codeOf(await server.gql('{ leads(last: 501) { totalCount } }', {}, mia))).toBe(
      'BAD_USER_INPUT',
    );
    expect(codeOf(await server.gql('{ leads(first: 1, last: 1) { totalCount } }', {}, mia))).toBe(
      'BAD_USER_INPUT',
    );
  });

  it('reads its own write with consistentWith', async () => {
    for (let i = 0; i < 5; i++) {
      const write = await server.gql(
        `mutation { scoreLead(input: { leadId: "lead-0", fit: ${10 + i}, engagement: 5 }) { position } }`,
        {},
        mia,
      );
      const read = await server.gql(
        `{ lead(id: "lead-0", consistentWith: "${write.data!.scoreLead.position}") { scores { fit } } }`,
        {},
        mia,
      );
      expect(read.data!.lead.scores.fit).toBe(10 + i);
    }
  });

  it('masks PII for ANALYST and AUDITOR, not for MARKETING, SALES and ADMIN', async () => {
    const expected = {
      MARKETING: false,
      SALES: false,
      ADMIN: false,
      ANALYST: true,
      AUDITOR: true,
    } as const;
    for (const [role, masked] of Object.entries(expected)) {
      const token = await server.token(`user-${role}`, [role as keyof typeof expected]);
      const res = await server.gql(
        `{ lead(id: "lead-1") { email name company piiMasked } }`,
        {},
        token,
      );
      expect({ role, lead: res.data!.lead }).toEqual({
        role,
        lead: masked
          ? { email: '***', name: '***', company: null, piiMasked: true }
          : { email: 'person1@example.com', name: 'Person 1', company: null, piiMasked: false },
      });
    }
  });
});
