import type { Client, FormattedExecutionResult } from 'graphql-ws';
import { startServer, type TestServer } from '../support/server';

/** Subscriptions over graphql-ws, pushed after the projections applied the event. */
describe('subscriptions over WebSocket', () => {
  let server: TestServer;
  let mia: string;
  let analyst: string;

  beforeAll(async () => {
    server = await startServer();
    mia = await server.token('mia', ['MARKETING']);
    analyst = await server.token('ann', ['ANALYST']);
  });
  afterAll(() => server.stop());

  /** Collects pushes until `count` arrived (or fails after the timeout). */
  const collect = (
    client: Client,
    query: string,
    count: number,
    timeoutMs = 10_000,
    wanted: (push: FormattedExecutionResult<Record<string, any>, unknown>) => boolean = () => true,
  ) => {
    const received: FormattedExecutionResult<Record<string, any>, unknown>[] = [];
    let dispose = () => {};
    const done = new Promise<typeof received>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`got ${received.length} of ${count} pushes`)),
        timeoutMs,
      );
      dispose = client.subscribe<Record<string, any>>(
        { query },
        {
          next: (value) => {
            if (!wanted(value)) return;
            received.push(value);
            if (received.length === count) {
              clearTimeout(timer);
              resolve(received);
            }
          },
          error: (error) => {
            clearTimeout(timer);
            reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
          },
          complete: () => undefined,
        },
      );
    });
    return { done, stop: () => dispose() };
  };

  const settle = () => new Promise((r) => setTimeout(r, 200));

  it('leadChanged pushes each change of the lead, with the lead as the read model has it', async () => {
    const captured = await server.gql(
      `mutation { captureLead(input: { leadId: "live-1", email: "l@example.com", segment: SMB, channel: CHAT }) { position } }`,
      {},
      mia,
    );
    expect(captured.errors).toBeUndefined();
    const client = server.ws(analyst);
    const sub = collect(
      client,
      `subscription { leadChanged(leadId: "live-1") { leadId eventType position lead { id stage scores { fit } } } }`,
      2,
      10_000,
      // The capture may still be on its way when the subscription starts.
      (push) => push.data?.leadChanged.eventType !== 'LeadCaptured',
    );
    await settle();
    await server.gql(
      `mutation { captureLead(input: { leadId: "other", email: "o@example.com", segment: SMB, channel: CHAT }) { position } }`,
      {},
      mia,
    );
    const scored = await server.gql(
      `mutation { scoreLead(input: { leadId: "live-1", fit: 42, engagement: 1 }) { position } }`,
      {},
      mia,
    );
    const qualified = await server.gql(
      `mutation { qualifyLead(input: { leadId: "live-1" }) { position } }`,
      {},
      mia,
    );
    const pushes = (await sub.done).map((p) => p.data!.leadChanged);
    sub.stop();
    // Each push reads the lead as the read model has it then: at least the change pushed.
    expect(pushes).toEqual([
      {
        leadId: 'live-1',
        eventType: 'LeadScored',
        position: scored.data!.scoreLead.position,
        lead: { id: 'live-1', stage: expect.stringMatching(/^(LEAD|MQL)$/), scores: { fit: 42 } },
      },
      {
        leadId: 'live-1',
        eventType: 'LeadMarketingQualified',
        position: qualified.data!.qualifyLead.position,
        lead: { id: 'live-1', stage: 'MQL', scores: { fit: 42 } },
      },
    ]);
  });

  it('slaBreached pushes a breach the SLA monitor detected, filtered by team', async () => {
    const client = server.ws(analyst);
    const sub = collect(
      client,
      `subscription { slaBreached(team: "emea") { leadId kind ownerRepId team position } }`,
      1,
    );
    const funnel = collect(
      server.ws(analyst),
      `subscription { funnelChanged { eventType position } }`,
      1,
    );
    await settle();
    const past = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();
    for (const [mutation, input] of [
      [
        'captureLead',
        `leadId: "late", email: "late@example.com", segment: SMB, channel: EMAIL, occurredAt: "${past(50)}"`,
      ],
      ['qualifyLead', `leadId: "late", occurredAt: "${past(49)}"`],
      ['handOffLead', `leadId: "late", repId: "rex", team: "emea", occurredAt: "${past(48)}"`],
    ] as const) {
      const res = await server.gql(
        `mutation { ${mutation}(input: { ${input} }) { position } }`,
        {},
        mia,
      );
      expect(res.errors).toBeUndefined();
    }
    const [breach] = await sub.done;
    sub.stop();
    expect(breach!.data!.slaBreached).toMatchObject({
      leadId: 'late',
      ownerRepId: 'rex',
      team: 'emea',
    });
    const [change] = await funnel.done;
    funnel.stop();
    expect(change!.data!.funnelChanged.eventType).toBe('LeadCaptured');
  });

  it('reads nested fields fresh on every push (no loader cache across pushes)', async () => {
    await server.gql(
      `mutation { captureLead(input: { leadId: "live-2", email: "t@example.com", segment: SMB, channel: CHAT }) { position } }`,
      {},
      mia,
    );
    const sub = collect(
      server.ws(analyst),
      `subscription { leadChanged(leadId: "live-2") { eventType lead { touchCount touches { totalCount } } } }`,
      3,
      10_000,
      (push) => push.data?.leadChanged.eventType === 'TouchRecorded',
    );
    await settle();
    for (let i = 0; i < 3; i++) {
      await server.gql(
        `mutation { recordTouch(input: { leadId: "live-2", channel: EMAIL }) { position } }`,
        {},
        mia,
      );
    }
    const pushes = (await sub.done).map((p) => p.data!.leadChanged.lead);
    sub.stop();
    // Each push reads the read model at that moment: the touch list always agrees with the count.
    for (const lead of pushes) expect(lead.touches.totalCount).toBe(lead.touchCount);
    expect(pushes.at(-1)).toEqual({ touchCount: 3, touches: { totalCount: 3 } });
  });

  it('pushes leadChanged for deal changes that do not name the leads', async () => {
    const rex = await server.token('rex', ['SALES']);
    for (const [m, input, token] of [
      ['captureLead', 'leadId: "live-3", email: "d@example.com", segment: SMB, channel: CHAT', mia],
      ['qualifyLead', 'leadId: "live-3"', mia],
      ['handOffLead', 'leadId: "live-3", repId: "rex"', mia],
      ['acceptHandoff', 'leadId: "live-3"', rex],
      ['qualifyForSales', 'leadId: "live-3"', rex],
      [
        'openDeal',
        'dealId: "deal-3", leadIds: ["live-3"], account: "A", amount: 10, currency: "EUR", ownerRepId: "rex"',
        rex,
      ],
    ] as const) {
      const res = await server.gql(
        `mutation { ${m}(input: { ${input} }) { position } }`,
        {},
        token,
      );
      expect(res.errors).toBeUndefined();
    }
    const sub = collect(
      server.ws(analyst),
      `subscription { leadChanged(leadId: "live-3") { eventType lead { deals { pipelineStage } } } }`,
      1,
      10_000,
      (push) => push.data?.leadChanged.eventType === 'DealStageChanged',
    );
    await settle();
    await server.gql(
      `mutation { changeDealStage(input: { dealId: "deal-3", stage: "PROPOSAL" }) { position } }`,
      {},
      rex,
    );
    const [push] = await sub.done;
    sub.stop();
    expect(push!.data!.leadChanged).toEqual({
      eventType: 'DealStageChanged',
      lead: { deals: [{ pipelineStage: 'PROPOSAL' }] },
    });
  });

  it('serves only subscriptions over WebSocket', async () => {
    const sub = collect(server.ws(analyst), `{ projectionStatus { name } }`, 1, 3000);
    await expect(sub.done).rejects.toThrow(/only subscriptions/);
  });

  it('closes the socket of a token that is invalid, or once it expires', async () => {
    const closed = (client: ReturnType<TestServer['ws']>) =>
      new Promise<number>((resolve) =>
        client.on('closed', (event) => resolve((event as { code: number }).code)),
      );
    const forged = server.ws('not-a-token');
    const forgedClose = closed(forged);
    collect(forged, `subscription { funnelChanged { position } }`, 1, 3000).done.catch(
      () => undefined,
    );
    expect(await forgedClose).toBe(4403);

    const shortLived = server.ws(await server.token('ann', ['ANALYST'], { expiresIn: '2s' }));
    const expiryClose = closed(shortLived);
    collect(shortLived, `subscription { funnelChanged { position } }`, 1, 5000).done.catch(
      () => undefined,
    );
    expect(await expiryClose).toBe(4403);
  });

  it('refuses a subscription without a token', async () => {
    const sub = collect(server.ws(), `subscription { funnelChanged { position } }`, 1, 3000);
    const [refusal] = await sub.done;
    expect(refusal!.data ?? null).toBeNull();
    expect(refusal!.errors).toEqual([
      expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } }),
    ]);
  });
});
