import { apiBackends, codeOf, startServer, type TestServer } from '../support/server';

/** The analytics reports over GraphQL, on a small July the test writes through mutations. */
describe.each(apiBackends())('analytics over HTTP, %s', (_name, backend) => {
  let server: TestServer;
  let analyst: string;
  let last = '';
  let rex = '';

  beforeAll(async () => {
    server = await startServer(backend());
    const mia = await server.token('mia', ['MARKETING']);
    rex = await server.token('rex', ['SALES']);
    const admin = await server.token('root', ['ADMIN']);
    analyst = await server.token('ann', ['ANALYST']);
    let hour = 0;
    const at = () =>
      new Date(Date.parse('2026-07-02T08:00:00Z') + hour++ * 3_600_000).toISOString();
    const run = async (token: string, mutation: string, input: string) => {
      const res = await server.gql(
        `mutation { ${mutation}(input: { ${input}, occurredAt: "${at()}" }) { position } }`,
        {},
        token,
      );
      expect({ mutation, errors: res.errors }).toEqual({ mutation, errors: undefined });
      last = res.data![mutation].position as string;
    };
    await run(
      mia,
      'registerCampaign',
      'campaignId: "spring", name: "Spring", channel: PAID_SEARCH',
    );
    await run(
      mia,
      'recordCampaignCost',
      'campaignId: "spring", amount: 1000, currency: "EUR", periodStart: "2026-07-01", periodEnd: "2026-07-10"',
    );
    for (const [id, campaign] of [
      ['A', '"spring"'],
      ['B', '"spring"'],
      ['C', 'null'],
    ] as const) {
      await run(
        mia,
        'captureLead',
        `leadId: "${id}", email: "${id}@example.com", segment: SMB, channel: PAID_SEARCH, campaignId: ${campaign}`,
      );
      await run(mia, 'qualifyLead', `leadId: "${id}"`);
      await run(mia, 'handOffLead', `leadId: "${id}", repId: "rex", team: "emea"`);
    }
    await run(
      mia,
      'recordTouch',
      'leadId: "A", touchId: "t1", channel: WEBINAR, campaignId: "spring", createsLead: true',
    );
    await run(mia, 'recordTouch', 'leadId: "A", touchId: "t2", channel: EMAIL');
    await run(rex, 'acceptHandoff', 'leadId: "A"');
    await run(rex, 'rejectHandoff', 'leadId: "B", reason: NOT_ICP');
    await run(rex, 'acceptHandoff', 'leadId: "C"');
    await run(rex, 'qualifyForSales', 'leadId: "A"');
    await run(rex, 'qualifyForSales', 'leadId: "C"');
    await run(
      rex,
      'openDeal',
      'dealId: "D1", leadIds: ["A"], account: "Acme", amount: 5000, currency: "EUR", ownerRepId: "rex"',
    );
    await run(
      rex,
      'openDeal',
      'dealId: "D2", leadIds: ["C"], account: "Beta", amount: 3000, currency: "EUR", ownerRepId: "rex"',
    );
    await run(rex, 'winDeal', 'dealId: "D1"');
    await run(rex, 'loseDeal', 'dealId: "D2", reason: PRICE, competitor: "Acme CRM"');
    await run(admin, 'setGoals', 'period: "2026-Q3", revenue: 100000, mqls: 30');
  });
  afterAll(() => server.stop());

  const july = 'from: "2026-07-01T00:00:00Z", to: "2026-08-01T00:00:00Z"';

  it('campaignPerformance closes the loop from lead to revenue and cost', async () => {
    const res = await server.gql(
      `{ campaignPerformance(${july}, consistentWith: "${last}") { campaignId name channel leads mqls handedOff
          accepted rejected rejectedByReason { key count } sqls opportunities won revenue cost costPerMql
          costPerSql cac roi currency } }`,
      {},
      analyst,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.campaignPerformance).toEqual([
      {
        campaignId: 'spring',
        name: 'Spring',
        channel: 'PAID_SEARCH',
        leads: 2,
        mqls: 2,
        handedOff: 2,
        accepted: 1,
        rejected: 1,
        rejectedByReason: [{ key: 'NOT_ICP', count: 1 }],
        sqls: 1,
        opportunities: 1,
        won: 1,
        revenue: 5000,
        cost: 1000,
        costPerMql: 500,
        costPerSql: 1000,
        cac: 1000,
        roi: 4,
        currency: 'EUR',
      },
    ]);
  });

  it('repActivity counts what each rep did', async () => {
    const res = await server.gql(
      `{ repActivity(${july}) { repId handoffs accepted rejected sqls won leadsOwned conversion outlier revenue { currency amount } } }`,
      {},
      analyst,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.repActivity).toEqual([
      {
        repId: 'rex',
        handoffs: 3,
        accepted: 2,
        rejected: 1,
        sqls: 2,
        won: 1,
        leadsOwned: 3,
        conversion: 1 / 3,
        outlier: false,
        revenue: [{ currency: 'EUR', amount: 5000 }],
      },
    ]);
  });

  it('lostReasons groups lost deals by reason and segment, with competitors', async () => {
    const res = await server.gql(
      `{ lostReasons(${july}, groupBy: MONTH) { period reason segment lost amount { currency amount } competitors { competitor lost } } }`,
      {},
      analyst,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.lostReasons).toEqual([
      {
        period: '2026-07',
        reason: 'PRICE',
        segment: 'SMB',
        lost: 1,
        amount: [{ currency: 'EUR', amount: 3000 }],
        competitors: [{ competitor: 'Acme CRM', lost: 1 }],
      },
    ]);
  });

  it('goalProgress compares targets with actuals and refuses a malformed period', async () => {
    const res = await server.gql(
      `{ goalProgress(period: "2026-Q3") { period currency revenue { target actual } mqls { target actual } wonDeals
          reverseFunnel { averageDealSize } } }`,
      {},
      analyst,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.goalProgress).toMatchObject({
      period: '2026-Q3',
      currency: 'EUR',
      revenue: { target: 100000, actual: 5000 },
      mqls: { target: 30, actual: 3 },
      wonDeals: 1,
    });
    const bad = await server.gql('{ goalProgress(period: "Q3") { period } }', {}, analyst);
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
  });

  const byKey = (rows: Array<{ key: string | null }>) =>
    Object.fromEntries(rows.map((r) => [String(r.key), r]));

  it('dealAttribution shows the path, positions and credit of each touch', async () => {
    const res = await server.gql(
      `{ dealAttribution(dealId: "D1", model: U_SHAPED) { touchId channel campaignId positions credit share } }`,
      {},
      analyst,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.dealAttribution).toEqual([
      {
        touchId: 't1',
        channel: 'WEBINAR',
        campaignId: 'spring',
        positions: ['FT', 'LC'],
        credit: 5000,
        share: 1,
      },
      {
        touchId: 't2',
        channel: 'EMAIL',
        campaignId: null,
        positions: ['OC', 'CW'],
        credit: 0,
        share: 0,
      },
    ]);
    const unknown = await server.gql(
      `{ dealAttribution(dealId: "nope", model: LINEAR) { key } }`,
      {},
      analyst,
    );
    expect(codeOf(unknown)).toBe('NOT_FOUND');
  });

  it('attribution and attributionComparison credit campaigns, UNATTRIBUTED included', async () => {
    const res = await server.gql(
      `{ attribution(model: LINEAR, ${july}, groupBy: CAMPAIGN) { key unattributed currency revenue pipeline deals } }`,
      {},
      analyst,
    );
    expect(res.errors).toBeUndefined();
    const rows = byKey(res.data!.attribution);
    expect(rows.spring).toEqual({
      key: 'spring',
      unattributed: false,
      currency: 'EUR',
      revenue: 2500,
      pipeline: 2500,
      deals: 0.5,
    });
    expect(rows.null).toMatchObject({ revenue: 2500, pipeline: 2500, deals: 0.5 });
    expect(rows.UNATTRIBUTED).toMatchObject({ unattributed: true, revenue: 0, pipeline: 3000 });
    const comparison = await server.gql(
      `{ attributionComparison(${july}, groupBy: CHANNEL) { key currency revenue { FIRST_TOUCH LAST_TOUCH LINEAR U_SHAPED } } }`,
      {},
      analyst,
    );
    expect(comparison.errors).toBeUndefined();
    expect(byKey(comparison.data!.attributionComparison).WEBINAR).toEqual({
      key: 'WEBINAR',
      currency: 'EUR',
      revenue: { FIRST_TOUCH: 5000, LAST_TOUCH: 0, LINEAR: 2500, U_SHAPED: 5000 },
    });
  });

  it('attribution asOf answers what the report said before a won deal was reopened', async () => {
    await new Promise((r) => setTimeout(r, 20));
    const beforeReopen = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    const reopened = await server.gql(
      `mutation { reopenDeal(input: { dealId: "D1", reason: "contract not signed", occurredAt: "2026-08-10T10:00:00Z" }) { position } }`,
      {},
      rex,
    );
    expect(reopened.errors).toBeUndefined();
    const query = (asOf: string) =>
      server.gql(
        `{ attribution(model: LINEAR, ${july}, asOf: ${asOf}, consistentWith: "${reopened.data!.reopenDeal.position}") { key revenue } }`,
        {},
        analyst,
      );
    const then = await query(`"${beforeReopen}"`);
    expect(byKey(then.data!.attribution).spring).toEqual({ key: 'spring', revenue: 2500 });
    const now = await query('null');
    expect(byKey(now.data!.attribution).spring).toEqual({ key: 'spring', revenue: 0 });
  });
});
