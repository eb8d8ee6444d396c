import { apiBackends, codeOf, startServer, type TestServer } from '../support/server';

/** The whole lead journey over HTTP, from capture to a won deal, read back through the API. */
describe.each(apiBackends())('lead journey over HTTP, %s', (_name, backend) => {
  let server: TestServer;
  let mia: string;
  let rex: string;
  let analyst: string;
  let auditor: string;
  let admin: string;

  beforeAll(async () => {
    server = await startServer(backend());
    mia = await server.token('mia', ['MARKETING']);
    rex = await server.token('rex', ['SALES']);
    analyst = await server.token('ann', ['ANALYST']);
    auditor = await server.token('aud', ['AUDITOR']);
    admin = await server.token('root', ['ADMIN']);
  });
  afterAll(() => server.stop());

  const run = async (
    token: string,
    mutation: string,
    input: Record<string, unknown>,
    fields = '',
  ) => {
    const res = await server.gql(
      `mutation M($input: ${mutation[0]!.toUpperCase()}${mutation.slice(1)}Input!) {
        ${mutation}(input: $input) { streamId version position deduplicated ${fields} }
      }`,
      { input },
      token,
    );
    expect(res.errors).toBeUndefined();
    return res.data![mutation] as Record<string, any>;
  };

  it('captures, nurtures, hands off, accepts, qualifies and wins, and every read shows it', async () => {
    await run(mia, 'registerCampaign', {
      campaignId: 'spring',
      name: 'Spring launch',
      channel: 'PAID_SEARCH',
    });
    const captured = await run(
      mia,
      'captureLead',
      {
        email: 'Ada@Example.com',
        name: 'Ada',
        company: 'Acme',
        segment: 'SMB',
        channel: 'PAID_SEARCH',
        campaignId: 'spring',
      },
      'leadId',
    );
    const leadId = captured.leadId as string;
    expect(captured).toMatchObject({ streamId: `lead-${leadId}`, version: 0, deduplicated: false });

    const touch = await run(
      mia,
      'recordTouch',
      { leadId, channel: 'WEBINAR', campaignId: 'spring' },
      'touchId',
    );
    expect(typeof touch.touchId).toBe('string');
    await run(mia, 'scoreLead', { leadId, fit: 80, engagement: 70 });
    await run(mia, 'qualifyLead', { leadId, reason: 'visited pricing twice' });
    const handoff = await run(
      mia,
      'handOffLead',
      { leadId, repId: 'rex', team: 'emea' },
      'handoffId acceptBy firstContactBy',
    );
    expect(Date.parse(handoff.acceptBy as string)).toBeGreaterThan(Date.now() - 60_000);

    await run(rex, 'acceptHandoff', { leadId });
    await run(rex, 'logContactAttempt', { leadId, channel: 'CALL', outcome: 'CONNECTED' });
    await run(rex, 'qualifyForSales', { leadId, budget: '50k', need: 'pipeline visibility' });
    const deal = await run(
      rex,
      'openDeal',
      { leadIds: [leadId], account: 'Acme', amount: 12_000, currency: 'EUR', ownerRepId: 'rex' },
      'dealId',
    );
    const won = await run(rex, 'winDeal', { dealId: deal.dealId });

    const read = await server.gql(
      `query Q($id: ID!, $at: String) {
        lead(id: $id, consistentWith: $at) {
          id stage lifecycleStage email name company segment channel campaignId team slaStatus touchCount
          owner { id team handoffsReceived accepted }
          scores { fit engagement }
          stageDates { LEAD MQL HANDED_OFF SAL SQL OPPORTUNITY WON }
          touches(first: 10) { totalCount edges { node { channel campaignId kind } } }
          handoffs { handoffId repId status sla attempts }
          deals { id status amount currency ownerRepId leadIds }
        }
      }`,
      { id: leadId, at: won.position },
      analyst,
    );
    expect(read.errors).toBeUndefined();
    const lead = read.data!.lead;
    expect(lead).toMatchObject({
      id: leadId,
      stage: 'WON',
      lifecycleStage: 'OPPORTUNITY',
      email: '***', // the analyst may not read PII
      name: '***',
      company: 'Acme',
      segment: 'SMB',
      campaignId: 'spring',
      team: 'emea',
      slaStatus: 'MET',
      touchCount: 1,
      owner: { id: 'rex', team: 'emea', handoffsReceived: 1, accepted: 1 },
      scores: { fit: 80, engagement: 70 },
      touches: {
        totalCount: 1,
        edges: [{ node: { channel: 'WEBINAR', campaignId: 'spring', kind: 'MARKETING' } }],
      },
      handoffs: [{ handoffId: handoff.handoffId, repId: 'rex', status: 'ACCEPTED', attempts: 1 }],
      deals: [
        {
          id: deal.dealId,
          status: 'WON',
          amount: 12_000,
          currency: 'EUR',
          ownerRepId: 'rex',
          leadIds: [leadId],
        },
      ],
    });
    for (const stage of ['LEAD', 'MQL', 'HANDED_OFF', 'SAL', 'SQL', 'OPPORTUNITY', 'WON']) {
      expect(typeof lead.stageDates[stage]).toBe('string');
    }
    const asMarketing = await server.gql(
      `{ lead(id: "${leadId}") { email name piiMasked } }`,
      {},
      mia,
    );
    expect(asMarketing.data!.lead).toEqual({
      email: 'ada@example.com',
      name: 'Ada',
      piiMasked: false,
    });

    const day = new Date();
    const from = new Date(day.getTime() - 86_400_000).toISOString();
    const to = new Date(day.getTime() + 86_400_000).toISOString();
    const funnel = await server.gql(
      `{ funnel(from: "${from}", to: "${to}", groupBy: [CAMPAIGN]) {
          groups { key { campaignId } stages { stage count conversionFromFirst } } } }`,
      {},
      analyst,
    );
    expect(funnel.errors).toBeUndefined();
    const spring = funnel.data!.funnel.groups.find((g: any) => g.key.campaignId === 'spring');
    const count = (stage: string) => spring.stages.find((s: any) => s.stage === stage).count;
    expect([count('LEAD'), count('MQL'), count('SAL'), count('SQL'), count('WON')]).toEqual([
      1, 1, 1, 1, 1,
    ]);

    const sla = await server.gql(
      `{ slaCompliance(from: "${from}", to: "${to}", groupBy: REP) { key handoffs acceptedInTime acceptedLate breaches } }`,
      {},
      analyst,
    );
    expect(sla.data!.slaCompliance).toEqual([
      { key: 'rex', handoffs: 1, acceptedInTime: 1, acceptedLate: 0, breaches: 0 },
    ]);

    // The auditor replays the stream from the event store, PII masked; the admin sees it all.
    const history = `query H($id: ID!, $asOf: DateTime) {
      leadHistory(leadId: $id, asOf: $asOf) { events { type revision actor { id role } data } state } }`;
    const audited = await server.gql(history, { id: leadId }, auditor);
    expect(audited.errors).toBeUndefined();
    const events = audited.data!.leadHistory.events as Array<any>;
    expect(events.map((e) => e.type)).toEqual([
      'LeadCaptured',
      'TouchRecorded',
      'LeadScored',
      'LeadMarketingQualified',
      'LeadHandedOff',
      'HandoffAccepted',
      'ContactAttemptLogged',
      'LeadSalesQualified',
      'LeadConverted',
    ]);
    expect(events[0]).toMatchObject({
      revision: 0,
      actor: { id: 'mia', role: 'MARKETING' },
      data: { email: '***' },
    });
    expect(events[5].actor).toEqual({ id: 'rex', role: 'SALES' });
    const full = await server.gql(history, { id: leadId }, admin);
    expect(full.data!.leadHistory.events[0].data.email).toBe('ada@example.com');

    const verified = await server.gql(
      `{ verifyStream(streamId: "lead-${leadId}") { ok eventsChecked firstBadPosition } }`,
      {},
      auditor,
    );
    expect(verified.data!.verifyStream).toEqual({
      ok: true,
      eventsChecked: 9,
      firstBadPosition: null,
    });
  });

  it('answers leadHistory as of a past instant with the state as it was then', async () => {
    const { leadId } = await run(
      mia,
      'captureLead',
      { email: 'past@example.com', segment: 'ENTERPRISE', channel: 'EVENT' },
      'leadId',
    );
    await new Promise((r) => setTimeout(r, 20));
    const between = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    await run(mia, 'qualifyLead', { leadId });
    const history = await server.gql(
      `query H($id: ID!, $asOf: DateTime) { leadHistory(leadId: $id, asOf: $asOf) { asOf events { type } state } }`,
      { id: leadId, asOf: between },
      admin,
    );
    expect(history.errors).toBeUndefined();
    expect(history.data!.leadHistory.events).toEqual([{ type: 'LeadCaptured' }]);
    expect(history.data!.leadHistory.state).toMatchObject({ stage: 'LEAD' });
    const unknown = await server.gql(
      `{ leadHistory(leadId: "nobody") { events { type } } }`,
      {},
      admin,
    );
    expect(codeOf(unknown)).toBe('NOT_FOUND');
  });
});
