import { execFile, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import {
  buildDist,
  codeOf,
  freePort,
  killSpawned,
  ROOT,
  signToken,
  sleep,
  startServerProcess,
  waitUntil,
  type ServerProcess,
} from '../support/process';
import { recordRan, recordSkip } from '../support/skips';
import { checkLedger, openAppEvents } from './ledger';
import { FAULT_SECRET, MarketingLoad } from './load';
import {
  checkpointsOf,
  cleanRebuild,
  documentCount,
  mongoReadModels,
  readModelDifferences,
  readModelsOf,
  type ReadModelBackend,
} from './read-models';

/**
 * The read models' MongoDB (our own FerretDB, so it can be stopped) goes away under load for
 * 25 s and comes back on the same port and data. While it is away the process stays up, every
 * query gets a typed error within the request timeout, /healthz says 200 and /readyz never says
 * ready, and writes that need no personal-data key go on (the event log is SQLite). Once it is
 * back the same process recovers on its own, the writes whose outcome was unknown are retried
 * with their keys, nothing acknowledged is lost, nothing refused was written, and the read
 * models catch up to a clean rebuild.
 */
const seed = process.env.FAULT_SEED ?? randomUUID().slice(0, 8);
const script = join(ROOT, 'scripts', 'ferretdb.sh');
/** Runs scripts/ferretdb.sh without blocking the clients' event loop. */
const ferretdb = async (...args: string[]): Promise<void> => {
  await promisify(execFile)(script, args, { encoding: 'utf8' });
};
const version = spawnSync(script, ['version'], { encoding: 'utf8' });
const available = version.status === 0;
if (!available) {
  recordSkip(
    'FerretDB outage under load',
    `scripts/ferretdb.sh version failed (run scripts/ferretdb.sh install): ${version.stderr.trim()}`,
  );
}

const REQUEST_TIMEOUT_MS = 10_000;
/** An answer later than this is a hang: the request timeout plus slack for a loaded machine. */
const HANG_MS = REQUEST_TIMEOUT_MS + 5_000;
/** Longer than the driver's first fast failures last (~10-20 s), shorter than its 30 s wait. */
const DOWN_MS = 25_000;
/** A health probe unanswered this long counts as no answer (orchestrators give ~1-5 s). */
const PROBE_MS = 5_000;

/** When a query was sent: before the stop, during it, while stopped, during the restart, after. */
type Phase = 'up' | 'stopping' | 'down' | 'restarting' | 'back';

interface QueryAnswer {
  phase: Phase;
  /** When the answer came, ms after the stop began (negative: before). */
  at: number;
  /** 'OK', an API code, or 'NO ANSWER' (connection failed, or nothing within HANG_MS). */
  code: string;
  ms: number;
}

interface Probe {
  /** ms after the stop completed. */
  at: number;
  healthz: number | string;
  readyz: number | string;
}

/** What one outage looked like from the outside. */
interface Outage {
  answers: QueryAnswer[];
  probes: Probe[];
  acknowledgedBefore: number;
  acknowledgedWhileDown: number;
  /** When the restart began, ms after the stop began (answers before it saw it down). */
  restartingAt: number;
  readyAfterMs: number;
}

/**
 * Whether the MongoDB on `port` answers, asked by a fresh client within 3 s: a ping, and a read
 * of the app's database (FerretDB can hang one database while it answers pings).
 */
const pings = async (port: number, database: string): Promise<string> => {
  const client = new MongoClient(`mongodb://127.0.0.1:${port}/`, {
    serverSelectionTimeoutMS: 3000,
    socketTimeoutMS: 3000,
  });
  const ask = (what: () => Promise<unknown>) =>
    what().then(
      () => 'yes',
      (error: Error) => `no (${error.message})`,
    );
  try {
    const ping = await ask(() => client.db('admin').command({ ping: 1 }));
    const read = await ask(() => client.db(database).collection('_meta').findOne({}));
    const write = await ask(() =>
      client.db(database).collection('_fault_probe').insertOne({ at: Date.now() }),
    );
    return `ping ${ping}, read of ${database} ${read}, write ${write}`;
  } finally {
    await client.close().catch(() => undefined);
  }
};

beforeAll(() => {
  if (available) buildDist();
}, 240_000);
afterAll(() => killSpawned());

(available ? describe : describe.skip)('FerretDB stopped and restarted under load', () => {
  let fdir: string;
  let dir: string;
  let port: number;
  let backend: ReadModelBackend;
  let outage: Outage | undefined;

  beforeAll(async () => {
    recordRan(`FerretDB outage under load (FerretDB ${version.stdout.trim()})`);
    fdir = mkdtempSync(join(tmpdir(), 'leadledger-fault-ferretdb-'));
    dir = mkdtempSync(join(tmpdir(), 'leadledger-fault-outage-'));
    port = await freePort();
    await ferretdb('start', fdir, String(port));
    backend = mongoReadModels(`mongodb://127.0.0.1:${port}/`, 'leadledger_fault_outage');
  }, 60_000);
  afterAll(async () => {
    await killSpawned();
    await backend.drop().catch(() => undefined);
    await ferretdb('stop', fdir);
    rmSync(fdir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('keeps the process up with typed answers, recovers without a restart, loses nothing', async () => {
    const server: ServerProcess = await startServerProcess({
      env: {
        DATA_DIR: dir,
        JWT_SECRET: FAULT_SECRET,
        LOG_LEVEL: 'warn',
        REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        CONSISTENCY_WAIT_MS: '1000',
        ...backend.env,
      },
    });
    const analyst = await signToken(FAULT_SECRET, 'fault-analyst', ['ANALYST']);
    const load = await MarketingLoad.create(() => server, {
      clients: 6,
      seed,
      tag: 'outage',
      stopWhenUnanswered: false,
      requestTimeoutMs: HANG_MS,
      // FerretDB is slow: a modest write rate keeps its share of the data small.
      pauseMs: 50,
    });
    let phase: Phase = 'up';
    let stopping = Number.POSITIVE_INFINITY;
    let querying = true;
    const answers: QueryAnswer[] = [];
    const query = async (i: number) => {
      for (let n = 0; querying; n += 1) {
        const ack = load.acknowledged.find((a) => a.eventTypes[0] === 'LeadCaptured');
        const [text, variables] =
          n % 2 === 0 || !ack
            ? ['{ leads(first: 10) { totalCount edges { node { id stage } } } }', {}]
            : [
                'query Lead($id: ID!, $p: String) { lead(id: $id, consistentWith: $p) { id stage } }',
                { id: ack.streamId.replace(/^lead-/, ''), p: ack.position },
              ];
        const sent = { phase, at: Date.now() };
        const code = await server.gql(text, variables, { token: analyst, timeoutMs: HANG_MS }).then(
          (answer) => codeOf(answer) ?? 'OK',
          () => 'NO ANSWER',
        );
        answers.push({
          phase: sent.phase,
          at: Date.now() - stopping,
          code,
          ms: Date.now() - sent.at,
        });
        await sleep(30 + i * 7);
      }
    };
    /** A status, or how long it went unanswered. */
    const status = async (path: string) => {
      const sent = Date.now();
      return server.get(path, PROBE_MS).then(
        (res) => res.status,
        () => `no answer in ${Date.now() - sent} ms`,
      );
    };
    const probes: Probe[] = [];
    const times = { stopped: 0, restarting: 0, restarted: 0, ready: 0 };
    const acks = { before: 0, whileDown: 0 };

    load.start();
    const queries = [0, 1, 2, 3].map(query);
    try {
      await waitUntil('some acknowledged writes', () => load.acknowledged.length >= 20, 60_000);
      await sleep(1000);
      acks.before = load.acknowledged.length;
      stopping = Date.now();
      phase = 'stopping';
      await ferretdb('stop', fdir);
      times.stopped = Date.now();
      phase = 'down';
      while (Date.now() - times.stopped < DOWN_MS) {
        const at = Date.now() - times.stopped;
        probes.push({ at, healthz: await status('/healthz'), readyz: await status('/readyz') });
        await sleep(2000);
      }
      expect(server.running()).toBe(true);
      acks.whileDown = load.acknowledged.length - acks.before;

      phase = 'restarting';
      times.restarting = Date.now();
      await ferretdb('start', fdir, String(port));
      times.restarted = Date.now();
      phase = 'back';
      let readiness = '';
      await waitUntil(
        '/readyz to answer 200 again',
        async () => {
          const res = await server
            .get('/readyz', PROBE_MS)
            .catch((e: Error) => ({ status: 0, body: e.message }));
          readiness = `${res.status} ${res.body}`;
          return res.status === 200;
        },
        90_000,
        200,
      ).catch(async (error: Error) => {
        const lines = server.stderr().trim().split('\n');
        throw new Error(
          `${error.message}; last /readyz: ${readiness}; FerretDB answers a ping: ` +
            `${await pings(port, backend.env.MONGODB_DB!)}; queries since the restart: ` +
            `${JSON.stringify(answers.filter((a) => a.phase === 'back').map((a) => a.code))}; ` +
            `the server's log: ${lines.length} lines, ${server.stderr().length} bytes; cpu ` +
            `${spawnSync('ps', ['-o', '%cpu=,stat=,wchan=', '-p', String(server.pid)], { encoding: 'utf8' }).stdout.trim()}; last lines:\n${lines
              .slice(-3)
              .map((l) => l.slice(0, 400))
              .join('\n')}`,
        );
      });
      times.ready = Date.now();
      await sleep(2000);
    } finally {
      querying = false;
      await load.stop();
      await Promise.all(queries);
    }
    expect(server.running()).toBe(true);
    outage = {
      answers,
      probes,
      acknowledgedBefore: acks.before,
      acknowledgedWhileDown: acks.whileDown,
      restartingAt: times.restarting - stopping,
      readyAfterMs: times.ready - times.restarted,
    };

    const tally = (p: Phase) => {
      const counts: Record<string, number> = {};
      for (const a of answers.filter((x) => x.phase === p))
        counts[a.code] = (counts[a.code] ?? 0) + 1;
      return counts;
    };
    const unknown = load.unanswered.length;
    console.log(
      `FerretDB outage (seed ${seed}): stopped after ${acks.before} acknowledged writes, ` +
        `down ${times.restarted - times.stopped} ms, /readyz 200 again ${outage.readyAfterMs} ms ` +
        `after the restart; queries up ${JSON.stringify(tally('up'))}, stopping ` +
        `${JSON.stringify(tally('stopping'))}, down ${JSON.stringify(tally('down'))}, back ` +
        `${JSON.stringify(tally('back'))}, slowest ${Math.max(...answers.map((a) => a.ms))} ms; ` +
        `writes acknowledged while down ${acks.whileDown}, refused ` +
        `${JSON.stringify(Object.fromEntries(['INTERNAL', 'STALE'].map((c) => [c, load.refused.filter((r) => r.code === c).length])))}, ` +
        `outcome unknown (TIMEOUT or no answer) ${unknown}; probes while down ` +
        `${probes.map((p) => `${p.at} ms: healthz ${p.healthz}, readyz ${p.readyz}`).join('; ')}`,
    );

    // Every answer typed, none later than the request timeout allows; all fine before the stop.
    expect(answers.filter((a) => !['OK', 'INTERNAL', 'STALE', 'TIMEOUT'].includes(a.code))).toEqual(
      [],
    );
    expect(answers.filter((a) => a.ms >= HANG_MS)).toEqual([]);
    // Before the stop: answers, or STALE where a busy FerretDB left the projections more than
    // CONSISTENCY_WAIT_MS behind a client's own write (typed, and what the contract promises).
    const before = answers.filter((a) => a.at < 0);
    expect(before.filter((a) => !['OK', 'STALE'].includes(a.code))).toEqual([]);
    expect(before.filter((a) => a.code === 'OK').length).toBeGreaterThan(0);
    // While it was down nothing could be read; the process was alive and said it was not ready.
    // (A query sent while it was down may wait for it and succeed once it is back.)
    const down = answers.filter((a) => a.phase === 'down' && a.at < times.restarting - stopping);
    expect(down.length).toBeGreaterThan(0);
    expect(down.filter((a) => a.code === 'OK')).toEqual([]);
    expect(probes.filter((p) => p.healthz !== 200)).toEqual([]);
    expect(probes.filter((p) => p.readyz === 200)).toEqual([]);
    // Writes to leads whose key was at hand went on; the refused ones were refused as INTERNAL.
    expect(acks.whileDown).toBeGreaterThan(0);
    expect([...new Set(load.refused.map((r) => r.code))].filter((c) => c !== 'INTERNAL')).toEqual(
      [],
    );

    // Back: writes whose outcome was unknown are retried with their keys and succeed.
    const retried = await load.retryUnanswered();
    expect(retried.failed).toEqual([]);
    await waitUntil(
      'the projections to catch up',
      async () => {
        const answer = await server.gql<{ projectionStatus: Array<{ lagEvents: number }> }>(
          '{ projectionStatus { lagEvents } }',
          {},
          { token: analyst },
        );
        return answer.data?.projectionStatus.every((s) => s.lagEvents === 0) ?? false;
      },
      120_000,
      250,
    );
    const last = load.acknowledged[load.acknowledged.length - 1]!;
    const after = await server.gql(
      'query Leads($p: String) { leads(first: 5, consistentWith: $p) { totalCount } }',
      { p: last.position },
      { token: analyst },
    );
    expect(after.errors).toBeUndefined();
    expect(await server.terminate()).toEqual({ code: 0, signal: null });

    const events = await openAppEvents(dir, backend.env);
    const store = await backend.open(dir);
    const scratch = await backend.scratch(dir);
    try {
      const refused = load.refused.map((r) => r.mutation);
      const ledger = await checkLedger(events, load.acknowledged, refused);
      expect(ledger.problems).toEqual([]);
      const head = await events.headPosition();
      expect(await checkpointsOf(store)).toEqual({ low: head, high: head });
      const actual = await readModelsOf(store);
      expect(readModelDifferences(actual, await cleanRebuild(events, scratch.store))).toEqual([]);
      console.log(
        `after the outage: ${unknown} writes of unknown outcome retried (${retried.deduplicated} ` +
          `had been written, ${retried.written} written now); ${load.acknowledged.length} ` +
          `acknowledged and ${refused.length} refused checked in a log of ${ledger.events} ` +
          `events; read models: ${documentCount(actual)} documents equal to a clean rebuild`,
      );
    } finally {
      await scratch.drop();
      await store.close();
      await events.close();
    }
  }, 400_000);

  // Was a bug: the MongoDB clients had the driver's defaults (30 s server selection, no socket
  // timeout), so during an outage queries ended in TIMEOUT rather than INTERNAL and /readyz did
  // not answer for ~30 s. Fixed by failing fast (connectMongo) and bounding the readiness probes.
  it('answers INTERNAL or STALE, and /readyz 503 within 5 s, all through the outage', () => {
    expect(outage).toBeDefined();
    const { answers, probes, restartingAt } = outage!;
    expect(
      answers.filter(
        (a) => a.phase === 'down' && a.at < restartingAt && !['INTERNAL', 'STALE'].includes(a.code),
      ),
    ).toEqual([]);
    expect(probes.filter((p) => p.readyz !== 503)).toEqual([]);
  });
});
