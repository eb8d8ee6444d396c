import type { Client, ExecutionResult } from 'graphql-ws';
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
  const collect = (client: Client, query: string, count: number, timeoutMs = 10_000) => {
    const received: ExecutionResult<Record<string, any>>[] = [];
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
    expect(pushes).toEqual([
      {
        leadId: 'live-1',
        eventType: 'LeadScored',
        position: scored.data!.scoreLead.position,
        lead: { id: 'live-1', stage: 'LEAD', scores: { fit: 42 } },
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

  it('refuses a subscription without a token', async () => {
    const sub = collect(server.ws(), `subscription { funnelChanged { position } }`, 1, 3000);
    const [refusal] = await sub.done;
    expect(refusal!.data ?? null).toBeNull();
    expect(refusal!.errors).toEqual([
      expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } }),
    ]);
  });
});
