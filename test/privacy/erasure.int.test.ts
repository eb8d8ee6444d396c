import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { CommandHandler } from '../../src/commands/handle';
import type { Actor } from '../../src/domain/shared/values';
import { SqliteEventStore } from '../../src/eventstore/sqlite';
import { MongoKeyStore } from '../../src/privacy/keystore/mongo';
import type { KeyStore } from '../../src/privacy/keystore/port';
import { SqliteKeyStore } from '../../src/privacy/keystore/sqlite';
import { MasterKeys } from '../../src/privacy/master-keys';
import { createPiiVault, type PiiVault } from '../../src/privacy/vault';
import { attribution, attributionComparison } from '../../src/projections/attribution/queries';
import { campaignPerformance } from '../../src/projections/campaigns/queries';
import { PROJECTIONS } from '../../src/projections/catalog';
import { funnelReport } from '../../src/projections/funnel/queries';
import { getLead, listLeads } from '../../src/projections/leads/queries';
import { ProjectionRunner } from '../../src/projections/runner';
import { slaCompliance } from '../../src/projections/sla/queries';
import { MongoReadStore } from '../../src/readstore/mongo';
import type { ReadStore } from '../../src/readstore/port';
import { SqliteReadStore } from '../../src/readstore/sqlite';
import { recordRan, recordSkip } from '../support/skips';

/** The person to forget: none of these strings may be found anywhere afterwards. */
const PERSON = {
  email: 'zebulon.quartermaine@example.org',
  name: 'Zebulon Quartermaine',
  company: 'Quartermaine Widgets',
  note: 'Quartermaine asked us to call his mobile',
};

const admin: Actor = { id: 'root', roles: ['ADMIN'] };
const marketer: Actor = { id: 'mia', roles: ['MARKETING'] };
const rep: Actor = { id: 'rex', roles: ['SALES'] };
const NOW = new Date('2026-07-01T09:00:00.000Z');
const L = 'zq-1';

interface Stores {
  readStore: ReadStore;
  keyStore: KeyStore;
}

/** Read models and keys on one backend, which can be opened again on the same data. */
interface Backend {
  open(): Promise<Stores>;
  /** Every document the backend holds, serialised (MongoDB); SQLite files are read raw. */
  documents(): Promise<string>;
  cleanup(): Promise<void>;
}

const backends: Array<[string, (dir: string) => Promise<Backend>]> = [
  [
    'SQLite read models',
    (dir) =>
      Promise.resolve({
        open: () =>
          Promise.resolve({
            readStore: new SqliteReadStore(join(dir, 'readmodels.db')),
            keyStore: new SqliteKeyStore(join(dir, 'keys.db')),
          }),
        documents: () => Promise.resolve(''),
        cleanup: () => Promise.resolve(),
      }),
  ],
];
const uri = process.env.MONGODB_URI;
if (uri) {
  backends.push([
    'MongoDB read models',
    async () => {
      recordRan('Crypto-shredding acceptance on MongoDB/FerretDB');
      const client = new MongoClient(uri, { ignoreUndefined: true });
      await client.connect();
      const name = `${process.env.MONGODB_DB ?? 'leadledger_test'}_privacy_${randomUUID().replaceAll('-', '').slice(0, 8)}`;
      const db = client.db(name);
      return {
        async open() {
          // A client per opening: closing the read store closes its client.
          const own = new MongoClient(uri, { ignoreUndefined: true });
          await own.connect();
          return {
            readStore: new MongoReadStore(own, name),
            keyStore: new MongoKeyStore(client, name),
          };
        },
        async documents() {
          const dump: unknown[] = [];
          for (const { name: collection } of await db.listCollections().toArray()) {
            dump.push(collection, ...(await db.collection(collection).find().toArray()));
          }
          return JSON.stringify(dump);
        },
        async cleanup() {
          await db.dropDatabase();
          await client.close();
        },
      };
    },
  ]);
} else {
  recordSkip('Crypto-shredding acceptance on MongoDB', 'MONGODB_URI is unset');
}

/** Every file under `dir`, raw (latin1 keeps every byte). */
const rawFiles = (dir: string): Map<string, string> =>
  new Map(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => {
        const file = join(entry.parentPath, entry.name);
        return [file, readFileSync(file).toString('latin1')];
      }),
  );

const leaks = (text: string): string[] =>
  Object.values(PERSON).filter((secret) => text.toLowerCase().includes(secret.toLowerCase()));

describe.each(backends)('crypto-shredding end to end (no server), %s', (_name, makeBackend) => {
  let dir: string;
  let backend: Backend;
  let readStore: ReadStore;
  let events: PiiVault;
  let handler: CommandHandler;
  let runner: ProjectionRunner;
  const master = MasterKeys.fromBytes(randomBytes(32));

  const open = async () => {
    const stores = await backend.open();
    readStore = stores.readStore;
    events = createPiiVault(
      new SqliteEventStore(join(dir, 'events.db'), { pollIntervalMs: 20 }),
      stores.keyStore,
      master,
    );
    handler = new CommandHandler(events, { clock: () => NOW });
    runner = new ProjectionRunner(events, readStore, PROJECTIONS, {
      clock: () => NOW,
      batchDeadlineMs: 5,
      dropGraceMs: 0,
    });
    await runner.start();
  };
  /** Closes every store (idempotent), as a stopped process would have. */
  const close = async () => {
    await runner.stop();
    await readStore.close();
    await events.close();
  };
  /** No document, and no byte of any file under DATA_DIR (WALs included), names the person. */
  const expectNoTrace = async () => {
    const documents = await backend.documents();
    await close();
    expect(leaks(documents)).toEqual([]);
    const files = rawFiles(dir);
    expect([...files.keys()].map((f) => f.slice(dir.length + 1))).toEqual(
      expect.arrayContaining(['events.db']),
    );
    for (const [file, bytes] of files) {
      expect({ file, leaks: leaks(bytes) }).toEqual({ file, leaks: [] });
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leadledger-erasure-'));
    backend = await makeBackend(dir);
    await open();
  });
  afterAll(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
    await backend.cleanup();
  });

  const run = async (actor: Actor, type: string, input: object, occurredAt: string) =>
    (await handler.handle(type, input, { actor, occurredAt })).position;
  const settled = async (position: string) => {
    expect(await runner.waitFor(position, 10_000)).toBe(true);
  };
  const reports = async () => {
    const period = { from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' };
    const { access } = runner;
    return {
      funnel: await funnelReport(access, { ...period, groupBy: ['segment', 'channel'] }),
      cohort: await funnelReport(access, { ...period, mode: 'COHORT', groupBy: ['campaignId'] }),
      attribution: await attribution(access, { ...period, model: 'W_SHAPED', groupBy: 'CAMPAIGN' }),
      comparison: await attributionComparison(access, { ...period, groupBy: 'CHANNEL' }),
      campaigns: await campaignPerformance(access, period),
      sla: await slaCompliance(access, { ...period, groupBy: 'REP' }),
    };
  };
  let before: Awaited<ReturnType<typeof reports>>;

  it('forgets the person in the read models and the log; every report keeps its totals', async () => {
    const { email, name, company } = PERSON;
    const journey: Array<[Actor, string, object, string]> = [
      [
        marketer,
        'registerCampaign',
        { campaignId: 'spring', name: 'Spring', channel: 'PAID_SEARCH' },
        '2026-03-01T08:00:00Z',
      ],
      [
        marketer,
        'captureLead',
        {
          leadId: L,
          email,
          name,
          company,
          segment: 'MID_MARKET',
          channel: 'PAID_SEARCH',
          campaignId: 'spring',
        },
        '2026-03-02T09:00:00Z',
      ],
      [
        marketer,
        'captureLead',
        {
          leadId: 'kept-1',
          email: 'kept@example.org',
          name: 'Kept',
          segment: 'SMB',
          channel: 'WEBINAR',
        },
        '2026-03-02T10:00:00Z',
      ],
      [
        marketer,
        'recordTouch',
        {
          leadId: L,
          touchId: 't1',
          channel: 'PAID_SEARCH',
          campaignId: 'spring',
          createsLead: true,
        },
        '2026-03-02T09:00:00Z',
      ],
      [
        marketer,
        'recordTouch',
        { leadId: L, touchId: 't2', channel: 'WEBINAR', campaignId: 'spring' },
        '2026-03-05T09:00:00Z',
      ],
      [
        marketer,
        'qualifyLead',
        { leadId: L, reason: `${name} read the pricing page` },
        '2026-03-06T09:00:00Z',
      ],
      [
        marketer,
        'handOffLead',
        { leadId: L, handoffId: 'h1', repId: rep.id, team: 'emea' },
        '2026-03-06T10:00:00Z',
      ],
      [
        rep,
        'rejectHandoff',
        { leadId: L, reason: 'OTHER', note: `${PERSON.note}: ${email}` },
        '2026-03-06T10:30:00Z',
      ],
      [
        marketer,
        'handOffLead',
        { leadId: L, handoffId: 'h2', repId: rep.id, team: 'emea' },
        '2026-03-07T10:00:00Z',
      ],
      [rep, 'acceptHandoff', { leadId: L }, '2026-03-07T10:20:00Z'],
      [
        rep,
        'logContactAttempt',
        { leadId: L, channel: 'CALL', outcome: 'CONNECTED' },
        '2026-03-07T11:00:00Z',
      ],
      [
        rep,
        'qualifyForSales',
        { leadId: L, budget: `${company} has 50k`, need: name },
        '2026-03-08T09:00:00Z',
      ],
      [
        rep,
        'openDeal',
        {
          dealId: 'd1',
          leadIds: [L],
          account: 'Acme Holdings',
          amount: 50_000,
          currency: 'EUR',
          ownerRepId: rep.id,
        },
        '2026-03-09T09:00:00Z',
      ],
      [rep, 'winDeal', { dealId: 'd1' }, '2026-04-01T09:00:00Z'],
    ];
    let position = '';
    for (const [actor, type, input, at] of journey) position = await run(actor, type, input, at);
    await settled(position);

    // Before: readable where it should be, and sealed in the log from the start.
    expect(await getLead(runner.access, L)).toMatchObject({ email, name, stage: 'WON' });
    expect((await events.readStream(`lead-${L}`))[0]!.data).toMatchObject({ email });
    expect(leaks(readFileSync(join(dir, 'events.db')).toString('latin1'))).toEqual([]);
    before = await reports();
    expect(before.attribution.reduce((sum, row) => sum + row.revenue, 0)).toBe(50_000);

    await settled(
      await run(
        admin,
        'forgetLead',
        { leadId: L, reason: 'request #4711' },
        '2026-06-01T09:00:00Z',
      ),
    );

    // The read models: PII scrubbed, the lead's non-personal history kept.
    expect(await getLead(runner.access, L)).toMatchObject({
      email: null,
      name: null,
      company: null,
      forgotten: true,
      stage: 'WON',
      segment: 'MID_MARKET',
      campaignId: 'spring',
      touchCount: 2,
    });
    expect(await getLead(runner.access, 'kept-1')).toMatchObject({ email: 'kept@example.org' });
    expect(leaks(JSON.stringify(await listLeads(runner.access, { first: 10 })))).toEqual([]);
    expect(await reports()).toEqual(before);

    // The log: the same events, their PII unreadable, the chain intact; no command is taken.
    const history = await events.readStream(`lead-${L}`);
    expect(leaks(JSON.stringify(history))).toEqual([]);
    expect(history[0]!.data).toMatchObject({
      leadId: L,
      email: null,
      name: null,
      segment: 'MID_MARKET',
    });
    expect(await events.verify(`lead-${L}`)).toMatchObject({
      ok: true,
      eventsChecked: history.length,
    });
    await expect(
      run(marketer, 'scoreLead', { leadId: L, fit: 1, engagement: 1 }, '2026-06-02T09:00:00Z'),
    ).rejects.toMatchObject({ rule: 'LEAD_FORGOTTEN' });
  });

  it('leaves no trace in any store file or document once the stores are closed', async () => {
    await expectNoTrace();
  });

  it('gives the same scrubbed lead and reports when rebuilt from the log alone', async () => {
    await open();
    for (const projection of ['leads', 'funnel', 'attribution', 'campaigns']) {
      await runner.rebuild(projection);
    }
    expect(await getLead(runner.access, L)).toMatchObject({
      email: null,
      name: null,
      forgotten: true,
      stage: 'WON',
    });
    expect(await reports()).toEqual(before);
    await expectNoTrace();
  });
});
