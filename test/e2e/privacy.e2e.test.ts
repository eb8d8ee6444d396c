import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { apiBackends, startServer, type TestServer } from '../support/server';

/** The person to forget: none of these strings may be found anywhere afterwards. */
const PERSON = {
  email: 'philomena.brightwater@example.net',
  name: 'Philomena Brightwater',
  company: 'Brightwater Optics',
  note: 'Brightwater prefers calls after six',
};

const leaks = (text: string): string[] =>
  Object.values(PERSON).filter((secret) => text.toLowerCase().includes(secret.toLowerCase()));

/** Every file under `dir`, raw (latin1 keeps every byte). */
const rawFiles = (dir: string): Array<[string, string]> =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const file = join(entry.parentPath, entry.name);
      return [file, readFileSync(file).toString('latin1')];
    });

const PERIOD = 'from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z"';

/** Issue 8 §3: after forgetLead the person is nowhere, and the reports have not moved. */
describe.each(apiBackends())('forgetLead over HTTP, %s', (_name, backend) => {
  let server: TestServer;
  let env: Record<string, string>;
  let mia: string;
  let rex: string;
  let root: string;
  let closed = false;

  beforeAll(async () => {
    env = backend();
    server = await startServer(env);
    mia = await server.token('mia', ['MARKETING']);
    rex = await server.token('rex', ['SALES']);
    root = await server.token('root', ['ADMIN']);
  });
  afterAll(async () => {
    if (!closed) await server.stop();
  });

  const run = async (
    token: string,
    mutation: string,
    input: Record<string, unknown>,
    fields = '',
  ) => {
    const res = await server.gql(
      `mutation M($input: ${mutation[0]!.toUpperCase()}${mutation.slice(1)}Input!) {
        ${mutation}(input: $input) { position ${fields} }
      }`,
      { input },
      token,
    );
    expect(res.errors).toBeUndefined();
    return res.data![mutation] as Record<string, any>;
  };
  const query = async (text: string, position: string, variables: Record<string, unknown> = {}) => {
    const res = await server.gql(text, { ...variables, at: position }, root);
    expect(res.errors).toBeUndefined();
    return res.data!;
  };
  const reports = (position: string) =>
    query(
      `query R($at: String) {
        funnel(${PERIOD}, groupBy: [SEGMENT, CHANNEL], consistentWith: $at) {
          groups { key { segment channel } stages { stage count conversionFromPrevious medianHoursFromPrevious } }
        }
        cohort: funnel(${PERIOD}, mode: COHORT, groupBy: [CAMPAIGN], consistentWith: $at) {
          groups { key { campaignId } stages { stage count } }
        }
        attribution(model: W_SHAPED, ${PERIOD}, groupBy: CAMPAIGN, consistentWith: $at) {
          key currency revenue pipeline deals
        }
        attributionComparison(${PERIOD}, groupBy: CHANNEL, consistentWith: $at) { key }
        campaignPerformance(${PERIOD}, consistentWith: $at) {
          campaignId leads mqls sqls won revenue cost roi
        }
      }`,
      position,
    );
  /** Everything the API tells an ADMIN about the lead, the lists and the audit views. */
  const answers = (leadId: string, position: string) =>
    query(
      `query A($id: ID!, $stream: ID!, $at: String) {
        lead(id: $id, consistentWith: $at) {
          id email name company forgotten stage segment campaignId touchCount
          handoffs { handoffId status rejectionReason rejectionNote }
        }
        leads(first: 100, consistentWith: $at) { totalCount edges { node { id email name company } } }
        leadHistory(leadId: $id, consistentWith: $at) { events { type data hash } state }
        auditTrail(first: 100, consistentWith: $at) { edges { node { streamId type data } } }
        droppedLeads(${PERIOD}, first: 100, consistentWith: $at) {
          edges { node { leadId reasons lead { email name company } } }
        }
        verifyStream(streamId: $stream, consistentWith: $at) { ok eventsChecked firstBadPosition }
      }`,
      position,
      { id: leadId, stream: `lead-${leadId}` },
    );

  it('erases the person from every answer, file and document; the reports stay as they were', async () => {
    const { email, name, company } = PERSON;
    await run(mia, 'registerCampaign', {
      campaignId: 'autumn',
      name: 'Autumn',
      channel: 'PAID_SEARCH',
    });
    const { leadId } = await run(
      mia,
      'captureLead',
      {
        email,
        name,
        company,
        segment: 'ENTERPRISE',
        channel: 'PAID_SEARCH',
        campaignId: 'autumn',
        occurredAt: '2025-03-02T09:00:00Z',
      },
      'leadId',
    );
    const at = (iso: string) => ({ leadId, occurredAt: iso });
    await run(mia, 'recordTouch', {
      ...at('2025-03-02T09:00:00Z'),
      channel: 'PAID_SEARCH',
      campaignId: 'autumn',
      createsLead: true,
    });
    await run(mia, 'recordTouch', {
      ...at('2025-03-04T09:00:00Z'),
      channel: 'WEBINAR',
      campaignId: 'autumn',
    });
    await run(mia, 'qualifyLead', {
      ...at('2025-03-05T09:00:00Z'),
      reason: `${name} downloaded the guide`,
    });
    await run(mia, 'handOffLead', { ...at('2025-03-05T10:00:00Z'), repId: 'rex', team: 'emea' });
    await run(rex, 'rejectHandoff', {
      ...at('2025-03-05T10:10:00Z'),
      reason: 'OTHER',
      note: `${PERSON.note} (${email})`,
    });
    await run(mia, 'handOffLead', { ...at('2025-03-06T10:00:00Z'), repId: 'rex', team: 'emea' });
    await run(rex, 'acceptHandoff', at('2025-03-06T10:05:00Z'));
    await run(rex, 'logContactAttempt', {
      ...at('2025-03-06T11:00:00Z'),
      channel: 'CALL',
      outcome: 'CONNECTED',
    });
    await run(rex, 'qualifyForSales', {
      ...at('2025-03-07T09:00:00Z'),
      budget: `${company} budget approved`,
      need: name,
    });
    const deal = await run(
      rex,
      'openDeal',
      {
        leadIds: [leadId],
        account: 'Globex Group',
        amount: 80_000,
        currency: 'USD',
        ownerRepId: 'rex',
        occurredAt: '2025-03-10T09:00:00Z',
      },
      'dealId',
    );
    const won = await run(rex, 'winDeal', {
      dealId: deal.dealId,
      occurredAt: '2025-04-01T09:00:00Z',
    });

    const before = await reports(won.position as string);
    const revenue = (before.attribution as Array<{ revenue: number }>).reduce(
      (s, r) => s + r.revenue,
      0,
    );
    expect(revenue).toBe(80_000);
    const shown = await answers(leadId as string, won.position as string);
    expect(shown.lead).toMatchObject({ email, name, company, forgotten: false });

    const forgotten = await run(root, 'forgetLead', { leadId, reason: 'erasure request #77' });
    const position = forgotten.position as string;

    const after = await answers(leadId as string, position);
    expect(leaks(JSON.stringify(after))).toEqual([]);
    expect(after.lead).toMatchObject({
      email: null,
      name: null,
      company: null,
      forgotten: true,
      stage: 'WON',
      segment: 'ENTERPRISE',
      campaignId: 'autumn',
      touchCount: 2,
    });
    expect(after.leadHistory.events[0]).toMatchObject({
      type: 'LeadCaptured',
      data: { leadId, email: null, name: null, segment: 'ENTERPRISE', campaignId: 'autumn' },
      hash: shown.leadHistory.events[0].hash,
    });
    expect(after.verifyStream).toEqual({
      ok: true,
      eventsChecked: after.leadHistory.events.length,
      firstBadPosition: null,
    });
    expect(await reports(position)).toEqual(before);

    // Closed: no byte of any file under DATA_DIR (WALs included) and no document names them.
    const dataDir = server.running.app.config.DATA_DIR;
    await server.running.close();
    closed = true;
    const files = rawFiles(dataDir);
    expect(files.map(([file]) => file.slice(dataDir.length + 1))).toEqual(
      expect.arrayContaining(['events.db']),
    );
    for (const [file, bytes] of files)
      expect({ file, leaks: leaks(bytes) }).toEqual({ file, leaks: [] });
    rmSync(dataDir, { recursive: true, force: true });
    if (env.MONGODB_URI && env.MONGODB_DB) {
      const client = await new MongoClient(env.MONGODB_URI).connect();
      try {
        const db = client.db(env.MONGODB_DB);
        const collections = await db.listCollections().toArray();
        expect(collections.length).toBeGreaterThan(0);
        for (const { name: collection } of collections) {
          const docs = JSON.stringify(await db.collection(collection).find().toArray());
          expect({ collection, leaks: leaks(docs) }).toEqual({ collection, leaks: [] });
        }
        await db.dropDatabase();
      } finally {
        await client.close();
      }
    }
  });
});
