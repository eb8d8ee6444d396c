import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDemo, type DemoCommand } from '../../src/demo/generator';
import { Random } from '../../src/demo/random';
import { createDemoHandler, runDemo, type DemoSummary } from '../../src/demo/run';
import type { EventStore } from '../../src/eventstore/port';
import { PROJECTIONS } from '../../src/projections/catalog';
import type { ReadStore } from '../../src/readstore/port';
import {
  buildDist,
  killSpawned,
  sleep,
  spawnCli,
  waitUntil,
  type NodeProcess,
} from '../support/process';
import { recordRan, recordSkip } from '../support/skips';
import { integrityOf, openAppEvents } from './ledger';
import {
  checkpointsOf,
  cleanRebuild,
  documentCount,
  mongoReadModels,
  readModelDifferences,
  readModelsOf,
  sqliteReadModels,
  type ReadModelBackend,
} from './read-models';

/**
 * `leadledger project` killed with SIGKILL again and again at seeded random points while a
 * demo history is written to the log: before it holds its leases, while it joins the
 * projections, while it projects. Each time a new projector takes over from the dead one's
 * checkpoints; at the end one runs to the head, and the read models equal a clean rebuild.
 * FAULT_SEED=<seed> replays a run's kill points.
 */
const seed = process.env.FAULT_SEED ?? randomUUID().slice(0, 8);
const LEASE_MS = 1000;

interface Plan {
  /** Demo leads: the history the projector works through. */
  leads: number;
  kills: number;
  /** Demo commands written per 100 ms while the projectors are killed. */
  feedPerTick: number;
}

const backends: Array<[string, () => ReadModelBackend, Plan]> = [
  ['SQLite', sqliteReadModels, { leads: 100, kills: 24, feedPerTick: 2 }],
];
const mongoUri = process.env.MONGODB_URI;
if (mongoUri) {
  // FerretDB takes seconds to open the collections and to write a batch, so each kill cycle is
  // several times longer than on SQLite: fewer kills over a smaller history keep the file
  // within minutes, and nearly every kill still lands while a batch is being written.
  backends.push([
    'MongoDB',
    () => mongoReadModels(mongoUri, 'leadledger_fault_projector'),
    { leads: 24, kills: 8, feedPerTick: 1 },
  ]);
} else {
  recordSkip('Projector kill -9 on MongoDB read models', 'MONGODB_URI is unset');
}

/** Where the projector was when it was killed, as seen from its leases. */
type Phase = 'starting' | 'joining' | 'projecting';

interface KillPoint {
  n: number;
  /** From the spawn, or from the moment it held every lease. */
  from: 'spawn' | 'leases';
  delayMs: number;
  phase: Phase;
  /** Events in the log, and how many the slowest projection had not applied yet. */
  head: number;
  behind: number;
}

beforeAll(() => buildDist(), 240_000);
afterAll(() => killSpawned());

describe.each(backends)('kill -9 of the projector, read models on %s', (name, make, plan) => {
  let dir: string;
  let backend: ReadModelBackend;
  let events: EventStore;
  let watch: ReadStore;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leadledger-fault-projector-'));
    backend = make();
    if (backend.name === 'MongoDB') recordRan('Projector kill -9 on MongoDB/FerretDB read models');
    // Written as `leadledger seed` writes: through the PII vault the projectors read through.
    events = await openAppEvents(dir, backend.env);
    watch = await backend.open(dir);
  });
  afterAll(async () => {
    await killSpawned();
    await watch.close();
    await events.close();
    await backend.drop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  const projector = (): NodeProcess =>
    spawnCli(['project', '--status-every', '0'], {
      env: {
        DATA_DIR: dir,
        PROJECTOR_LEASE_MS: String(LEASE_MS),
        // One tick at start and none after; the story lies in the future anyway, so no
        // deadline is due and the monitor writes nothing into the history being fed.
        SLA_MONITOR_INTERVAL_MS: '3600000',
        LOG_LEVEL: 'warn',
        ...backend.env,
      },
    });

  /** How many projections' leases the process holds now. */
  const held = async (pid: number): Promise<number> => {
    const now = Date.now();
    const leases = await Promise.all(
      PROJECTIONS.map((p) => watch.readLease(`projector:${p.name}`)),
    );
    return leases.filter((l) => l && l.expiresAt > now && Number(l.owner.split(':')[1]) === pid)
      .length;
  };
  const phaseOf = async (pid: number): Promise<Phase> => {
    const n = await held(pid);
    return n === 0 ? 'starting' : n < PROJECTIONS.length ? 'joining' : 'projecting';
  };
  const errorLines = (proc: NodeProcess) =>
    proc
      .stderr()
      .split('\n')
      .filter((line) => /"level":"(error|fatal)"/.test(line));

  it('converges to a clean rebuild after every kill', async () => {
    const random = new Random(seed, name, 'kills');
    const story = [
      ...generateDemo({ leads: plan.leads, seed: 'fault-projector', start: '2030-01-01' }),
    ];
    const demo = createDemoHandler(events);
    const summaries: DemoSummary[] = [];
    // One chunk after another: the trickle and the bursts both feed the story, and a command
    // must not overtake the ones before it (a lead scored before it was captured).
    let writing = Promise.resolve();
    const write = (commands: DemoCommand[]) =>
      (writing = writing.then(async () => {
        summaries.push(await runDemo(demo.handler, commands, demo));
      }));
    // Part of the story is in the log before the first projector; the rest arrives while they
    // are killed: a trickle all along, so there is always new work, and a burst after each
    // kill, so each new projector starts behind.
    const first = Math.floor(story.length * 0.2);
    await write(story.slice(0, first));
    let fed = first;
    const feed = async (count: number) => {
      const next = Math.min(story.length, fed + count);
      const chunk = story.slice(fed, next);
      fed = next;
      if (chunk.length > 0) await write(chunk);
    };
    let killing = true;
    const trickle = (async () => {
      while (killing && fed < story.length) {
        await feed(plan.feedPerTick);
        await sleep(100);
      }
    })();

    const kills: KillPoint[] = [];
    const errors: string[] = [];
    const started = Date.now();
    try {
      for (let n = 1; n <= plan.kills; n += 1) {
        const proc = projector();
        // One kill in four counts from the spawn (it may land while the process loads, opens
        // the stores or takes over the leases); the others once it holds every lease.
        const from = random.chance(0.25) ? 'spawn' : 'leases';
        const delayMs = from === 'spawn' ? random.int(300, 2500) : random.int(0, 1200);
        if (from === 'leases') {
          await waitUntil(
            `projector ${n} (pid ${proc.pid}) to hold every lease`,
            async () => {
              if (!proc.running()) throw new Error(`projector ${n} exited:\n${proc.stderr()}`);
              return (await held(proc.pid)) === PROJECTIONS.length;
            },
            120_000,
            50,
          );
        }
        await sleep(delayMs);
        if (!proc.running()) throw new Error(`projector ${n} exited:\n${proc.stderr()}`);
        const phase = await phaseOf(proc.pid);
        expect((await proc.crash()).signal).toBe('SIGKILL');
        const { low } = await checkpointsOf(watch);
        const head = await events.countAfter('', 1_000_000);
        const behind = await events.countAfter(low, 1_000_000);
        kills.push({ n, from, delayMs, phase, head, behind });
        await feed(Math.ceil((story.length - fed) / (plan.kills - n + 2) / 2));
        errors.push(...errorLines(proc));
      }
      const killPhaseMs = Date.now() - started;
      killing = false;
      await trickle;
      await feed(story.length);

      // The last projector runs to the head of the log and stops cleanly.
      const last = projector();
      await waitUntil(
        'the last projector to hold every lease',
        async () => (await held(last.pid)) === PROJECTIONS.length,
        120_000,
        50,
      );
      let head = '';
      await waitUntil(
        'the last projector to reach the head of the log',
        async () => {
          const now = await events.headPosition();
          const caughtUp = now === head && (await checkpointsOf(watch)).low === now;
          head = now;
          return caughtUp;
        },
        240_000,
        500,
      );
      expect(await last.terminate()).toEqual({ code: 0, signal: null });
      errors.push(...errorLines(last));

      // Every command of the story was accepted: the log holds the intended history.
      expect({
        rejected: summaries.reduce((n, s) => n + s.rejected, 0),
        samples: summaries.flatMap((s) => s.samples),
      }).toEqual({ rejected: 0, samples: [] });
      const scratch = await backend.scratch(dir);
      try {
        const actual = await readModelsOf(watch);
        const expected = await cleanRebuild(events, scratch.store);
        expect(readModelDifferences(actual, expected)).toEqual([]);
        if (backend.name === 'SQLite') expect(integrityOf(join(dir, 'readmodels.db'))).toBe('ok');
        console.log(
          `projector kill -9 (${name} read models), seed ${seed}: ${kills.length} kills in ` +
            `${killPhaseMs} ms over a demo of ${plan.leads} leads ` +
            `(${await events.countAfter('', 1_000_000)} events; ${first} commands before the ` +
            `first projector, ${story.length - first} fed while killing); by phase: ` +
            `${(['starting', 'joining', 'projecting'] as const)
              .map((p) => `${p} ${kills.filter((k) => k.phase === p).length}`)
              .join(', ')}; ${kills.filter((k) => k.behind > 0).length} with events not yet ` +
            `projected; read models: ${documentCount(actual)} documents equal to a clean rebuild`,
        );
      } finally {
        await scratch.drop();
      }
      expect(errors).toEqual([]);
    } finally {
      console.log(
        `kill points (seed ${seed}, ${name}):\n${kills
          .map(
            (k) =>
              `  #${k.n}: ${k.delayMs} ms after ${k.from === 'spawn' ? 'the spawn' : 'it held every lease'}` +
              ` -> killed while ${k.phase}; log ${k.head} events, ${k.behind} not yet projected`,
          )
          .join('\n')}`,
      );
    }
  }, 600_000);
});
