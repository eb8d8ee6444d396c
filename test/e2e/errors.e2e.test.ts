import { SignJWT } from 'jose';
import { codeOf, SECRET, startServer, type TestServer } from '../support/server';

/** Every error code of API.md, and that a refused mutation writes nothing. */
describe('errors over HTTP', () => {
  let server: TestServer;
  let mia: string;
  let rex: string;
  let analyst: string;

  beforeAll(async () => {
    server = await startServer({ CONSISTENCY_WAIT_MS: '200', MAX_QUERY_DEPTH: '7' });
    mia = await server.token('mia', ['MARKETING']);
    rex = await server.token('rex', ['SALES']);
    analyst = await server.token('ann', ['ANALYST']);
  });
  afterAll(() => server.stop());

  const head = () => server.running.app.events.headPosition();
  const capture = async (input: Record<string, unknown> = {}) => {
    const res = await server.gql(
      `mutation C($i: CaptureLeadInput!) { captureLead(input: $i) { leadId version position deduplicated } }`,
      { i: { email: `p${Math.random()}@example.com`, segment: 'SMB', channel: 'EMAIL', ...input } },
      mia,
    );
    return res;
  };

  it('BAD_USER_INPUT lists every invalid field with its path, and writes nothing', async () => {
    const before = await head();
    const res = await server.gql(
      `mutation { captureLead(input: { email: "not-an-email", name: "", segment: SMB, channel: EMAIL }) { leadId } }`,
      {},
      mia,
    );
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    const fields = (res.errors![0]!.extensions!.fields as Array<{ path: string }>).map(
      (f) => f.path,
    );
    expect(fields.sort()).toEqual(['input.email', 'input.name']);
    expect(await head()).toBe(before);
  });

  it('BAD_USER_INPUT for variables of the wrong shape names the field', async () => {
    const res = await server.gql(
      `mutation C($i: CaptureLeadInput!) { captureLead(input: $i) { leadId } }`,
      { i: { email: 'a@b.co', segment: 'GIANT', channel: 'EMAIL' } },
      mia,
    );
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0]!.extensions!.fields).toEqual([
      expect.objectContaining({ path: 'i.segment' }),
    ]);
  });

  it('DOMAIN_RULE carries the rule, and writes nothing', async () => {
    const { data } = await capture();
    const leadId = data!.captureLead.leadId as string;
    const before = await head();
    const res = await server.gql(
      `mutation { acceptHandoff(input: { leadId: "${leadId}" }) { version } }`,
      {},
      rex,
    );
    expect(codeOf(res)).toBe('DOMAIN_RULE');
    expect(res.errors![0]!.extensions!.rule).toEqual(expect.any(String));
    expect(await head()).toBe(before);
  });

  it('CONFLICT when expectedVersion does not match, and writes nothing', async () => {
    const { data } = await capture();
    const leadId = data!.captureLead.leadId as string;
    const before = await head();
    const res = await server.gql(
      `mutation { scoreLead(input: { leadId: "${leadId}", fit: 1, engagement: 2, expectedVersion: 5 }) { version } }`,
      {},
      mia,
    );
    expect(codeOf(res)).toBe('CONFLICT');
    expect(res.errors![0]!.extensions).toMatchObject({ expectedVersion: 5, actualVersion: 0 });
    expect(await head()).toBe(before);
    const ok = await server.gql(
      `mutation { scoreLead(input: { leadId: "${leadId}", fit: 1, engagement: 2, expectedVersion: 0 }) { version } }`,
      {},
      mia,
    );
    expect(ok.data).toEqual({ scoreLead: { version: 1 } });
  });

  it('NOT_FOUND for a command on an unknown lead', async () => {
    const res = await server.gql(
      `mutation { qualifyLead(input: { leadId: "ghost" }) { version } }`,
      {},
      mia,
    );
    expect(codeOf(res)).toBe('NOT_FOUND');
  });

  it('an idempotency key retried returns the first payload and writes once', async () => {
    const first = await capture({ idempotencyKey: 'form-123' });
    const before = await head();
    const again = await capture({ idempotencyKey: 'form-123' });
    expect(again.data!.captureLead).toEqual({ ...first.data!.captureLead, deduplicated: true });
    expect(await head()).toBe(before);
  });

  it('UNAUTHENTICATED without a token, with a bad signature, expired, or alg none', async () => {
    const query = '{ leads(first: 1) { totalCount } }';
    expect(codeOf(await server.gql(query))).toBe('UNAUTHENTICATED');
    const key = new TextEncoder().encode('another-secret-of-sufficient-length!!');
    const forged = await new SignJWT({ roles: ['ADMIN'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('eve')
      .sign(key);
    const expired = await new SignJWT({ roles: ['ADMIN'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('old')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(SECRET));
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'eve', roles: ['ADMIN'] })}.`;
    const badRoles = await server.token('x', ['WIZARD' as never]);
    for (const token of [forged, expired, none, badRoles, 'garbage']) {
      const res = await server.gql(query, {}, token);
      expect({ token, code: codeOf(res), status: res.status }).toEqual({
        token,
        code: 'UNAUTHENTICATED',
        status: 401,
      });
    }
  });

  it('FORBIDDEN when the role may not run the command or read the field, and writes nothing', async () => {
    const before = await head();
    const res = await server.gql(
      `mutation { registerCampaign(input: { campaignId: "c1", name: "C", channel: EMAIL }) { version } }`,
      {},
      rex,
    );
    expect(codeOf(res)).toBe('FORBIDDEN');
    const analystWrite = await server.gql(
      `mutation { captureLead(input: { email: "a@b.co", segment: SMB, channel: EMAIL }) { leadId } }`,
      {},
      analyst,
    );
    expect(codeOf(analystWrite)).toBe('FORBIDDEN');
    const history = await server.gql(
      `{ leadHistory(leadId: "x") { events { type } } }`,
      {},
      analyst,
    );
    expect(codeOf(history)).toBe('FORBIDDEN');
    expect(await head()).toBe(before);
  });

  it('STALE when the read models cannot reach the position in time', async () => {
    const res = await server.gql(
      `{ leads(first: 1, consistentWith: "9999999999999999") { totalCount } }`,
      {},
      analyst,
    );
    expect(codeOf(res)).toBe('STALE');
    const bad = await server.gql(
      `{ leads(first: 1, consistentWith: "yesterday") { totalCount } }`,
      {},
      analyst,
    );
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
  });

  it('QUERY_TOO_COMPLEX for deep nesting, alias floods and costly pages of pages', async () => {
    const shallow = `{ leads { edges { node { touches { edges { node { touchId } } } } } } }`;
    expect(codeOf(await server.gql(shallow, {}, analyst))).toBeUndefined();
    const deep = `{ leads { edges { node { touches { edges { node { campaignId } } pageInfo { hasNextPage } } currentHandoff { owners { repId } } } } } }`;
    expect(codeOf(await server.gql(`{ x: ${deep.slice(2)}`, {}, analyst))).toBeUndefined();
    const viaFragment = `fragment F on Lead { touches { edges { node { touchId } } } }
      query { leads { edges { node { deals { id } ...F } } } }`;
    expect(codeOf(await server.gql(viaFragment, {}, analyst))).toBeUndefined();

    const tooDeep = `fragment T on TouchEdge { node { touchId } }
      query { slaBreaches { edges { node { lead { touches { edges { ...T } } } } } } }`;
    const refused = await server.gql(tooDeep, {}, analyst);
    expect(codeOf(refused)).toBe('QUERY_TOO_COMPLEX');
    expect(refused.errors![0]!.message).toMatch(/deeper than 7/);

    const aliases = `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: projectionStatus { name }`).join(' ')} }`;
    expect(codeOf(await server.gql(aliases, {}, analyst))).toBe('QUERY_TOO_COMPLEX');
    const costly = `{ leads(first: 500) { edges { node { touches(first: 500) { edges { node { touchId } } } } } } }`;
    expect(codeOf(await server.gql(costly, {}, analyst))).toBe('QUERY_TOO_COMPLEX');
    // Leaving out a page size does not make a connection free: it costs the default 20.
    const defaulted = `{ leads(first: 500) { edges { node { touches { edges { node { touchId channel } } } } } } }`;
    expect(codeOf(await server.gql(defaulted, {}, analyst))).toBe('QUERY_TOO_COMPLEX');
  });

  it('BAD_USER_INPUT for filters nested too deep or too large', async () => {
    let nested = '{ segment: { eq: SMB } }';
    for (let i = 0; i < 6; i++) nested = `{ and: [${nested}] }`;
    const deep = await server.gql(`{ leads(filter: ${nested}) { totalCount } }`, {}, analyst);
    expect(codeOf(deep)).toBe('BAD_USER_INPUT');
    const ids = Array.from({ length: 1001 }, (_, i) => `"r${i}"`).join(',');
    const large = await server.gql(
      `{ leads(filter: { ownerRepId: { in: [${ids}] } }) { totalCount } }`,
      {},
      analyst,
    );
    expect(codeOf(large)).toBe('BAD_USER_INPUT');
    const fine = await server.gql(
      `{ leads(filter: { ownerRepId: { in: ["a", "b"] }, or: [{ segment: { eq: SMB } }] }) { totalCount } }`,
      {},
      analyst,
    );
    expect(fine.errors).toBeUndefined();
  });
});
