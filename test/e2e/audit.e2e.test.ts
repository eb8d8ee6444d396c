import {
  apiBackends,
  codeOf,
  startServer,
  type GraphQLResponse,
  type TestServer,
} from '../support/server';

interface TrailPage {
  totalCount: number;
  edges: Array<{ cursor: string; node: { position: string; actor: { id: string } } }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
}

/** Auditors over HTTP: the audit trail (paged, PII per role), dropped leads, history as of. */
describe.each(apiBackends())('audit queries over HTTP, %s', (_name, backend) => {
  let server: TestServer;
  let mia: string;
  let rex: string;
  let ora: string;
  let auditor: string;
  let admin: string;
  let last = '';
  /** Positions of mia's writes, in order. */
  const byMia: string[] = [];
  const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

  const run = async (token: string, mutation: string, input: string) => {
    const res = await server.gql(
      `mutation { ${mutation}(input: { ${input} }) { position } }`,
      {},
      token,
    );
    expect(res.errors).toBeUndefined();
    last = res.data![mutation].position as string;
    return last;
  };

  const trail = `query T($filter: AuditTrailFilter, $first: Int, $after: String, $last: Int,
      $before: String, $at: String) {
    auditTrail(filter: $filter, first: $first, after: $after, last: $last, before: $before,
        consistentWith: $at) {
      totalCount
      edges { cursor node { position streamId revision type occurredAt recordedAt actor { id } data } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    } }`;

  beforeAll(async () => {
    server = await startServer(backend());
    mia = await server.token('mia', ['MARKETING']);
    rex = await server.token('rex', ['SALES']);
    ora = await server.token('ora', ['SALES']);
    auditor = await server.token('aud', ['AUDITOR']);
    admin = await server.token('root', ['ADMIN']);

    // Handed to rex two days ago and never accepted: the SLA monitor breaches it.
    byMia.push(
      await run(
        mia,
        'captureLead',
        `leadId: "late", email: "late@example.com", name: "Late Lee", segment: SMB, channel: EMAIL, occurredAt: "${hoursAgo(50)}"`,
      ),
      await run(mia, 'qualifyLead', `leadId: "late", occurredAt: "${hoursAgo(49)}"`),
      await run(
        mia,
        'handOffLead',
        `leadId: "late", repId: "rex", team: "emea", occurredAt: "${hoursAgo(48)}"`,
      ),
    );
    // Handed to rex, moved to ora by an admin, rejected by ora.
    byMia.push(
      await run(
        mia,
        'captureLead',
        `leadId: "moved", email: "moved@example.com", segment: ENTERPRISE, channel: EVENT`,
      ),
      await run(mia, 'qualifyLead', `leadId: "moved"`),
      await run(mia, 'handOffLead', `leadId: "moved", repId: "rex", team: "emea"`),
    );
    await run(admin, 'reassignLead', `leadId: "moved", toRepId: "ora", reason: "rex is away"`);
    await run(ora, 'rejectHandoff', `leadId: "moved", reason: NOT_ICP, note: "wrong size"`);
    for (let i = 0; i < 3; i += 1) {
      byMia.push(
        await run(
          mia,
          'captureLead',
          `leadId: "more-${i}", email: "more${i}@example.com", segment: SMB, channel: WEBINAR`,
        ),
      );
    }
  });
  afterAll(() => server.stop());

  it("pages an actor's trail forward and backward, in the order it was recorded", async () => {
    const forward: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const res: GraphQLResponse = await server.gql(
        trail,
        { filter: { actorId: 'mia' }, first: 4, after, at: last },
        auditor,
      );
      expect(res.errors).toBeUndefined();
      const page = res.data!.auditTrail as TrailPage;
      expect(page.totalCount).toBe(byMia.length);
      expect(page.pageInfo.hasPreviousPage).toBe(pages > 0);
      forward.push(...page.edges.map((e) => e.node.position));
      for (const e of page.edges) expect(e.node.actor.id).toBe('mia');
      pages += 1;
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(forward).toEqual(byMia);
    expect(pages).toBe(3);

    const tail = await server.gql(trail, { filter: { actorId: 'mia' }, last: 4 }, auditor);
    const tailPage = tail.data!.auditTrail;
    expect(tailPage.edges.map((e: any) => e.node.position)).toEqual(byMia.slice(-4));
    expect(tailPage.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    const earlier = await server.gql(
      trail,
      { filter: { actorId: 'mia' }, last: 4, before: tailPage.pageInfo.startCursor },
      auditor,
    );
    expect(earlier.data!.auditTrail.edges.map((e: any) => e.node.position)).toEqual(
      byMia.slice(-8, -4),
    );

    const handoffs = await server.gql(
      trail,
      { filter: { types: ['LeadHandedOff', 'HandoffRejected', 'LeadReassigned'] }, first: 10 },
      auditor,
    );
    expect(handoffs.data!.auditTrail.edges.map((e: any) => [e.node.type, e.node.actor.id])).toEqual(
      [
        ['LeadHandedOff', 'mia'],
        ['LeadHandedOff', 'mia'],
        ['LeadReassigned', 'root'],
        ['HandoffRejected', 'ora'],
      ],
    );
  });

  it('masks personal data for an auditor and shows it to an admin', async () => {
    const first = { filter: { actorId: 'mia', types: ['LeadCaptured'] }, first: 1 };
    const audited = await server.gql(trail, first, auditor);
    expect(audited.data!.auditTrail.edges[0].node.data).toMatchObject({
      leadId: 'late',
      email: '***',
      name: '***',
      segment: 'SMB',
    });
    const full = await server.gql(trail, first, admin);
    expect(full.data!.auditTrail.edges[0].node.data).toMatchObject({
      email: 'late@example.com',
      name: 'Late Lee',
    });
  });

  it('refuses the trail to roles other than AUDITOR and ADMIN, and more than 500 a page', async () => {
    expect(codeOf(await server.gql(trail, { first: 1 }, rex))).toBe('FORBIDDEN');
    expect(codeOf(await server.gql(trail, { first: 1 }, mia))).toBe('FORBIDDEN');
    expect(codeOf(await server.gql(trail, { first: 1 }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await server.gql(trail, { first: 501 }, auditor))).toBe('BAD_USER_INPUT');
  });

  it('finds the breached and the rejected handoff, with the owner at each moment and the proof', async () => {
    const query = `query D($from: DateTime!, $to: DateTime!) {
      droppedLeads(from: $from, to: $to, first: 10) {
        totalCount
        edges { node {
          leadId handoffId reasons droppedAt ownerAtDrop status
          owners { repId since event { type actorId position } }
          drops { reason at ownerRepId detail event { type position streamId revision occurredAt recordedAt actorId } }
          events { type actorId position }
          lead { id stage }
        } }
      } }`;
    const vars = { from: hoursAgo(72), to: hoursAgo(-1) };
    // The breach is recorded by the SLA monitor in the background: wait for it.
    let nodes: any[] = [];
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const res = await server.gql(query, vars, auditor);
      expect(res.errors).toBeUndefined();
      nodes = res.data!.droppedLeads.edges.map((e: any) => e.node);
      if (nodes.some((n) => n.leadId === 'late')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const late = nodes.find((n) => n.leadId === 'late');
    expect(late).toMatchObject({
      reasons: ['ACCEPTANCE_BREACHED'],
      ownerAtDrop: 'rex',
      status: 'PENDING',
      owners: [{ repId: 'rex', event: { type: 'LeadHandedOff', actorId: 'mia' } }],
      drops: [
        {
          reason: 'ACCEPTANCE_BREACHED',
          ownerRepId: 'rex',
          event: { type: 'SlaBreached', streamId: 'lead-late', actorId: 'sla-monitor' },
        },
      ],
      lead: { id: 'late' },
    });
    expect(Date.parse(late.droppedAt)).toBeCloseTo(Date.parse(hoursAgo(47)), -5);

    const moved = nodes.find((n) => n.leadId === 'moved');
    expect(moved).toMatchObject({
      reasons: ['REJECTED'],
      ownerAtDrop: 'ora',
      status: 'REJECTED',
      owners: [
        { repId: 'rex', event: { type: 'LeadHandedOff', actorId: 'mia' } },
        { repId: 'ora', event: { type: 'LeadReassigned', actorId: 'root' } },
      ],
      drops: [
        {
          reason: 'REJECTED',
          ownerRepId: 'ora',
          detail: 'NOT_ICP',
          event: { type: 'HandoffRejected', streamId: 'lead-moved', actorId: 'ora' },
        },
      ],
    });
    expect(moved.events.map((e: any) => e.type)).toEqual([
      'LeadHandedOff',
      'LeadReassigned',
      'HandoffRejected',
    ]);
    // The proof points at real events: the rejection is where leadHistory says it is.
    const history = await server.gql(
      `{ leadHistory(leadId: "moved") { events { type position hash prevHash streamId id } } }`,
      {},
      auditor,
    );
    const rejection = history.data!.leadHistory.events.find(
      (e: any) => e.type === 'HandoffRejected',
    );
    expect(rejection.position).toBe(moved.drops[0].event.position);
    expect(rejection.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('answers leadHistory as of a business instant, with events recorded since', async () => {
    const query = `query H($asOf: DateTime, $basis: TimeBasis) {
      leadHistory(leadId: "late", asOf: $asOf, basis: $basis) { basis events { type } state } }`;
    const business = await server.gql(query, { asOf: hoursAgo(48.5), basis: 'BUSINESS' }, auditor);
    expect(business.data!.leadHistory).toMatchObject({
      basis: 'BUSINESS',
      events: [{ type: 'LeadCaptured' }, { type: 'LeadMarketingQualified' }],
      state: { stage: 'MQL', email: '***' },
    });
    // As the ledger knew it then: nothing, it was recorded minutes ago.
    const recorded = await server.gql(query, { asOf: hoursAgo(48.5) }, auditor);
    expect(recorded.data!.leadHistory).toMatchObject({
      basis: 'RECORDED',
      events: [],
      state: null,
    });
  });
});
