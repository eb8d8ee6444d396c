/**
 * The soak (issue 9 §2): the real server (`serve()`, production mode, bearer tokens checked,
 * projections and the SLA monitor in process) in a child process on the embedded SQLite stores,
 * seeded with the demo story through the command path (the same cached log as `bench:api` with
 * BENCH_QUICK: 3k leads; `BENCH_LEADS=n` to choose), under a steady open-loop mixed load for
 * SOAK_SECONDS (default 600; `BENCH_QUICK=1`: 20): SOAK_RATE requests per second (default 50),
 * 80% queries (lead, a leads page, funnel, slaCompliance) and 20% mutations (captureLead,
 * recordTouch, scoreLead), at most SOAK_MAX_IN_FLIGHT at once. The server's memory (RSS and V8
 * heap used, from its own /metrics: prom-client's process_resident_memory_bytes and
 * nodejs_heap_size_used_bytes) is sampled every SOAK_SAMPLE_SECONDS.
 *
 * Reported: the error rate (any answer but HTTP 200 without GraphQL errors, and any request
 * skipped because SOAK_MAX_IN_FLIGHT were already waiting, must be 0), p50/p99 latency per
 * operation after the warm-up, and the memory trend: the least-squares slope of RSS (and heap)
 * over the second half in MB/min, and the ratio of the last minute's mean to the second minute's
 * (with a run shorter than 5 minutes the "minute" is a fifth of the run). Not a test: figures go
 * to stdout and bench/results/soak.json.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SignJWT } from 'jose';
import { loadConfig } from '../src/app/config';
import { DEMO_GENERATOR_VERSION, generateDemo } from '../src/demo/generator';
import type { Role } from '../src/domain/shared/values';
import { serve } from '../src/server/serve';
import { cachedLog } from './cached-log';
import { formatTable, machine, writeJson, type Cell } from './report';

const QUICK = process.env.BENCH_QUICK === '1';
const SEED = process.env.BENCH_SEED ?? 'bench-1';
const START = '2025-01-01';
const LEADS = Number(process.env.BENCH_LEADS ?? 0) || 3_000;
const SECONDS = Number(process.env.SOAK_SECONDS ?? 0) || (QUICK ? 20 : 600);
const RATE = Number(process.env.SOAK_RATE ?? 0) || 50;
const MAX_IN_FLIGHT = Number(process.env.SOAK_MAX_IN_FLIGHT ?? 0) || 64;
const SAMPLE_SECONDS = Number(process.env.SOAK_SAMPLE_SECONDS ?? 0) || (QUICK ? 1 : 5);
/** Latencies of the first seconds (JIT, caches, connections) are not counted. */
const WARM_UP_SECONDS = Math.min(30, Math.max(2, Math.round(SECONDS * 0.05)));
const ROOT = resolve(__dirname, '../..');
const RESULTS_FILE = join(ROOT, 'bench/results/soak.json');
const TARGETS = { errorRate: 0, rssSlopeMbPerMin: 1, lastToSecondMinuteRatio: 1.1 };
const YEAR = { from: '2025-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' };

// ---- the operations ----------------------------------------------------------------------------

type OpName =
  'lead' | 'leads' | 'funnel' | 'slaCompliance' | 'captureLead' | 'recordTouch' | 'scoreLead';

interface Operation {
  name: OpName;
  kind: 'query' | 'mutation';
  /** Share of the requests, in percent. */
  percent: number;
  role: Role;
  query: string;
  variables(n: number, pool: string[]): Record<string, unknown>;
}

const SEGMENTS = ['SMB', 'MID_MARKET', 'ENTERPRISE'] as const;
const CHANNELS = ['EMAIL', 'CONTENT', 'PAID_SOCIAL', 'WEBINAR', 'PAID_SEARCH'] as const;
const pick = <T>(list: readonly T[], n: number): T => list[n % list.length]!;

const OPERATIONS: Operation[] = [
  {
    name: 'lead',
    kind: 'query',
    percent: 20,
    role: 'SALES',
    query: `query Lead($id: ID!) {
      lead(id: $id) {
        id stage email name company segment slaStatus updatedAt
        owner { id team }
        touches(first: 5) { totalCount edges { node { touchId channel occurredAt } } }
        handoffs { handoffId status acceptBy }
        deals { id status amount currency }
      }
    }`,
    variables: (n, pool) => ({ id: pick(pool, n * 7919) }),
  },
  {
    name: 'leads',
    kind: 'query',
    percent: 20,
    role: 'SALES',
    query: `query Leads($filter: LeadFilter) {
      leads(first: 20, filter: $filter) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node { id email stage segment slaStatus owner { id } touches(first: 3) { totalCount } deals { id status } } }
      }
    }`,
    variables: (n) => ({
      filter: {
        segment: { eq: pick(SEGMENTS, n) },
        stage: { in: ['MQL', 'SAL', 'SQL', 'OPPORTUNITY', 'WON'] },
      },
    }),
  },
  {
    name: 'funnel',
    kind: 'query',
    percent: 20,
    role: 'ANALYST',
    query: `query Funnel($from: DateTime!, $to: DateTime!) {
      funnel(from: $from, to: $to, groupBy: [SEGMENT]) {
        groups { key { segment } stages { stage count conversionFromPrevious medianHoursFromPrevious } }
      }
    }`,
    variables: () => YEAR,
  },
  {
    name: 'slaCompliance',
    kind: 'query',
    percent: 20,
    role: 'ANALYST',
    query: `query Sla($from: DateTime!, $to: DateTime!) {
      slaCompliance(from: $from, to: $to, groupBy: REP) {
        key handoffs acceptedInTime acceptedLate rejected breaches medianMinutesToAccept p95MinutesToAccept
      }
    }`,
    variables: () => YEAR,
  },
  {
    name: 'captureLead',
    kind: 'mutation',
    percent: 8,
    role: 'MARKETING',
    query: `mutation Capture($input: CaptureLeadInput!) { captureLead(input: $input) { leadId position } }`,
    variables: (n) => ({
      input: {
        email: `soak-${RUN_TAG}-${n}@example.com`,
        name: `Soak Lead ${n}`,
        company: `Soak Company ${n % 101}`,
        segment: pick(SEGMENTS, n),
        channel: pick(CHANNELS, n),
      },
    }),
  },
  {
    name: 'recordTouch',
    kind: 'mutation',
    percent: 8,
    role: 'MARKETING',
    query: `mutation Touch($input: RecordTouchInput!) { recordTouch(input: $input) { touchId position } }`,
    variables: (n, pool) => ({
      input: { leadId: pick(pool, n * 104_729), channel: pick(CHANNELS, n) },
    }),
  },
  {
    name: 'scoreLead',
    kind: 'mutation',
    percent: 4,
    role: 'MARKETING',
    query: `mutation Score($input: ScoreLeadInput!) { scoreLead(input: $input) { position } }`,
    variables: (n, pool) => ({
      input: { leadId: pick(pool, n * 15_485_863), fit: n % 100, engagement: (n * 7) % 100 },
    }),
  },
];

const RUN_TAG = randomUUID().slice(0, 8);

/** The order requests go out in: every 100 requests hold each operation's share, interleaved. */
const schedule = (): Operation[] => {
  const slots: Operation[] = [];
  for (const op of OPERATIONS) for (let i = 0; i < op.percent; i++) slots.push(op);
  // A fixed interleaving (stride through the slots), so mutations are spread, not bunched.
  const stride = 37; // coprime with 100
  return slots.map((_, i) => slots[(i * stride) % slots.length]!);
};

// ---- statistics ----------------------------------------------------------------------------------

const percentile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;

/** Least-squares slope of y over x. */
const slope = (points: Array<[number, number]>): number => {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
};

const mean = (values: number[]) =>
  values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

// ---- the server child ------------------------------------------------------------------------------

interface Ready {
  kind: 'ready';
  url: string;
  pid: number;
  events: string;
  startMs: number;
}

/** serve() on the DATA_DIR; the SLA monitor and the projections caught up before the load. */
const runServer = async (dataDir: string, secret: string, masterKey: string) => {
  const started = performance.now();
  const config = loadConfig({
    NODE_ENV: 'production',
    DATA_DIR: dataDir,
    JWT_SECRET: secret,
    // Production requires the key that wraps the per-lead keys of personal data.
    MASTER_KEY: masterKey,
    PORT: '0',
  });
  // As `npm start` runs it (BENCH_PROJECTIONS_THREAD=1: `--projections-thread`).
  const running = await serve(config, {
    host: '127.0.0.1',
    log: () => undefined,
    projections: process.env.BENCH_PROJECTIONS_THREAD === '1' ? 'thread' : true,
  });
  process.once('disconnect', () => {
    void running.close().finally(() => process.exit(0));
  });
  const caughtUp = async () => {
    const head = await running.app.events.headPosition();
    if (!(await running.app.projections.waitFor(head, 1_800_000)))
      throw new Error(`projections did not reach ${head}`);
  };
  await caughtUp();
  // Deadlines already past in the story are breached now, once, not during the measurement.
  for (let i = 0; i < 1_000; i++) {
    const { breached } = await running.app.slaMonitor.tick();
    await caughtUp();
    if (breached === 0) break;
  }
  process.on('message', (message: { kind: 'close' }) => {
    if (message.kind === 'close') {
      void running.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    }
  });
  process.send!({
    kind: 'ready',
    url: running.url,
    pid: process.pid,
    events: await running.app.events.headPosition(),
    startMs: performance.now() - started,
  } satisfies Ready);
};

const startChild = (dataDir: string, secret: string) => {
  const execArgv = (process.env.BENCH_CHILD_ARGS ?? '').split(' ').filter(Boolean);
  const child = fork(__filename, ['serve', dataDir], {
    execArgv,
    // Secrets go through the environment, not the command line other processes can read.
    env: {
      ...process.env,
      BENCH_JWT_SECRET: secret,
      BENCH_MASTER_KEY: randomBytes(32).toString('base64'),
    },
  });
  const ready = new Promise<Ready>((resolvePromise, reject) => {
    child.once('exit', (code) => reject(new Error(`server child exited with ${code}`)));
    child.once('error', reject);
    child.once('message', (message: Ready) => resolvePromise(message));
  });
  return { child, ready };
};

const stopChild = async (child: ChildProcess) => {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.send({ kind: 'close' });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
};

// ---- the load ----------------------------------------------------------------------------------------

interface Sample {
  /** Seconds since the load started. */
  t: number;
  rssMb: number;
  heapUsedMb: number;
}

const metricOf = (text: string, name: string): number => {
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : NaN;
};

const token = (secret: string, role: Role) =>
  new SignJWT({ roles: [role] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(`soak-${role.toLowerCase()}`)
    .setIssuedAt()
    .setExpirationTime('24h')
    .sign(new TextEncoder().encode(secret));

const main = async () => {
  const began = performance.now();
  const log = await cachedLog(
    `api-events-${LEADS}-${SEED.replace(/[^A-Za-z0-9_-]/g, '_')}-g${DEMO_GENERATOR_VERSION}`,
    `${LEADS.toLocaleString('en-US')} leads`,
    () => generateDemo({ leads: LEADS, seed: SEED, start: START }),
    (run) => ({
      leads: LEADS,
      seed: SEED,
      start: START,
      generatorVersion: DEMO_GENERATOR_VERSION,
      ...run,
    }),
  );
  const work = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'lead-ledger-soak-'));
  copyFileSync(log.file, join(work, 'events.db'));
  console.log(
    `soak${QUICK ? ' (quick)' : ''}: ${SECONDS} s at ${RATE} req/s, ${LEADS.toLocaleString('en-US')} leads (${log.info.events.toLocaleString('en-US')} events), working copy in ${work}`,
  );
  const secret = randomBytes(32).toString('base64url');
  const { child, ready } = startChild(work, secret);
  try {
    const server = await ready;
    const metricsUrl = server.url.replace('/graphql', '/metrics');
    const roles: Role[] = ['MARKETING', 'SALES', 'ANALYST'];
    const tokens = Object.fromEntries(
      await Promise.all(roles.map(async (r) => [r, await token(secret, r)] as const)),
    ) as Record<Role, string>;

    // Leads the mutations and `lead` work on: seeded ones still in marketing's hands.
    const seed = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.MARKETING}` },
      body: JSON.stringify({
        query:
          '{ leads(first: 300, filter: { stage: { in: [LEAD, MQL, RECYCLED] } }) { edges { node { id } } } }',
      }),
    });
    const seeded = (await seed.json()) as {
      data?: { leads: { edges: Array<{ node: { id: string } }> } };
    };
    const pool = seeded.data?.leads.edges.map((e) => e.node.id) ?? [];
    if (pool.length === 0) throw new Error('no leads to work on');

    const order = schedule();
    const latencies = new Map<OpName, number[]>(OPERATIONS.map((op) => [op.name, []]));
    const counts = new Map<OpName, { sent: number; errors: number }>(
      OPERATIONS.map((op) => [op.name, { sent: 0, errors: 0 }]),
    );
    const errorSamples: string[] = [];
    const samples: Sample[] = [];
    let inFlight = 0;
    let skipped = 0;
    let n = 0;

    const fire = async (op: Operation, i: number, countIt: boolean) => {
      inFlight += 1;
      const count = counts.get(op.name)!;
      count.sent += 1;
      const started = performance.now();
      try {
        const res = await fetch(server.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${tokens[op.role]}`,
          },
          body: JSON.stringify({ query: op.query, variables: op.variables(i, pool) }),
        });
        const text = await res.text();
        const ms = performance.now() - started;
        if (res.status !== 200 || text.includes('"errors":[')) {
          count.errors += 1;
          if (errorSamples.length < 10)
            errorSamples.push(`${op.name}: ${res.status} ${text.slice(0, 300)}`);
        } else if (countIt) latencies.get(op.name)!.push(ms);
      } catch (error) {
        count.errors += 1;
        if (errorSamples.length < 10) errorSamples.push(`${op.name}: ${String(error)}`);
      } finally {
        inFlight -= 1;
      }
    };

    const sample = async (t: number) => {
      try {
        const text = await (await fetch(metricsUrl)).text();
        samples.push({
          t,
          rssMb: metricOf(text, 'leadledger_process_resident_memory_bytes') / 2 ** 20,
          heapUsedMb: metricOf(text, 'leadledger_nodejs_heap_size_used_bytes') / 2 ** 20,
        });
      } catch (error) {
        errorSamples.push(`metrics: ${String(error)}`);
      }
    };

    const started = performance.now();
    const end = started + SECONDS * 1000;
    const interval = 1000 / RATE;
    let nextSample = started;
    let lastReport = started;
    const pending = new Set<Promise<void>>();
    for (let due = started; due < end; due += interval) {
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const now = performance.now();
      if (now >= nextSample) {
        void sample((now - started) / 1000);
        nextSample += SAMPLE_SECONDS * 1000;
      }
      if (now - lastReport > 10_000) {
        lastReport = now;
        const last = samples.at(-1);
        process.stdout.write(
          `  ${Math.round((now - started) / 1000)} s: ${n} requests, ${[...counts.values()].reduce((s, c) => s + c.errors, 0)} errors, ${inFlight} in flight, RSS ${last ? last.rssMb.toFixed(1) : '?'} MB\n`,
        );
      }
      if (inFlight >= MAX_IN_FLIGHT) {
        skipped += 1;
        continue;
      }
      const op = order[n % order.length]!;
      const p = fire(op, n, now - started >= WARM_UP_SECONDS * 1000);
      pending.add(p);
      void p.finally(() => pending.delete(p));
      n += 1;
    }
    await Promise.all(pending);
    const seconds = (performance.now() - started) / 1000;
    await sample(seconds);
    await stopChild(child);

    // ---- figures ----
    const perOperation = Object.fromEntries(
      OPERATIONS.map((op) => {
        const sorted = [...latencies.get(op.name)!].sort((a, b) => a - b);
        const count = counts.get(op.name)!;
        return [
          op.name,
          {
            kind: op.kind,
            percent: op.percent,
            sent: count.sent,
            errors: count.errors,
            measured: sorted.length,
            p50Ms: round(percentile(sorted, 0.5)),
            p99Ms: round(percentile(sorted, 0.99)),
            maxMs: round(sorted.at(-1) ?? NaN),
          },
        ];
      }),
    ) as Record<
      OpName,
      {
        kind: string;
        sent: number;
        errors: number;
        p50Ms: number;
        p99Ms: number;
        maxMs: number;
        measured: number;
        percent: number;
      }
    >;
    const byKind = (kind: 'query' | 'mutation') => {
      const all = OPERATIONS.filter((op) => op.kind === kind)
        .flatMap((op) => latencies.get(op.name)!)
        .sort((a, b) => a - b);
      return { p50Ms: round(percentile(all, 0.5)), p99Ms: round(percentile(all, 0.99)) };
    };
    const sent = [...counts.values()].reduce((s, c) => s + c.sent, 0);
    const errors = [...counts.values()].reduce((s, c) => s + c.errors, 0);
    const errorRate = sent + skipped === 0 ? NaN : (errors + skipped) / (sent + skipped);

    const secondHalf = samples.filter((s) => s.t >= seconds / 2);
    const window = Math.min(60, seconds / 5);
    const windowMean = (from: number, to: number, key: 'rssMb' | 'heapUsedMb') =>
      mean(samples.filter((s) => s.t >= from && s.t < to).map((s) => s[key]));
    const ratio = (key: 'rssMb' | 'heapUsedMb') =>
      windowMean(seconds - window, seconds + 1, key) / windowMean(window, 2 * window, key);
    const memory = {
      rssStartMb: round(samples[0]?.rssMb ?? NaN, 1),
      rssEndMb: round(samples.at(-1)?.rssMb ?? NaN, 1),
      rssMaxMb: round(Math.max(...samples.map((s) => s.rssMb)), 1),
      heapUsedStartMb: round(samples[0]?.heapUsedMb ?? NaN, 1),
      heapUsedEndMb: round(samples.at(-1)?.heapUsedMb ?? NaN, 1),
      rssSlopeMbPerMin: round(slope(secondHalf.map((s) => [s.t / 60, s.rssMb]))),
      heapSlopeMbPerMin: round(slope(secondHalf.map((s) => [s.t / 60, s.heapUsedMb]))),
      rssLastToSecondMinuteRatio: round(ratio('rssMb'), 3),
      heapLastToSecondMinuteRatio: round(ratio('heapUsedMb'), 3),
      windowSeconds: round(window, 1),
    };
    const figures = {
      requests: sent,
      errors,
      skipped,
      errorRate: round(errorRate, 6),
      achievedRatePerSec: round(sent / seconds, 1),
      queryP50Ms: byKind('query').p50Ms,
      queryP99Ms: byKind('query').p99Ms,
      mutationP50Ms: byKind('mutation').p50Ms,
      mutationP99Ms: byKind('mutation').p99Ms,
      ...memory,
    };
    const targets = {
      errorRate: {
        max: TARGETS.errorRate,
        actual: figures.errorRate,
        pass: errors + skipped === 0,
      },
      rssSlopeMbPerMin: {
        max: TARGETS.rssSlopeMbPerMin,
        actual: memory.rssSlopeMbPerMin,
        pass: memory.rssSlopeMbPerMin <= TARGETS.rssSlopeMbPerMin,
      },
      rssLastToSecondMinuteRatio: {
        max: TARGETS.lastToSecondMinuteRatio,
        actual: memory.rssLastToSecondMinuteRatio,
        pass: memory.rssLastToSecondMinuteRatio <= TARGETS.lastToSecondMinuteRatio,
      },
    };

    console.log(
      `\n${formatTable(
        ['operation', 'kind', 'share', 'sent', 'errors', 'p50', 'p99', 'max'],
        OPERATIONS.map((op): Cell[] => {
          const o = perOperation[op.name];
          return [
            op.name,
            op.kind,
            `${op.percent}%`,
            o.sent,
            o.errors,
            `${o.p50Ms} ms`,
            `${o.p99Ms} ms`,
            `${o.maxMs} ms`,
          ];
        }),
      )}\n`,
    );
    console.log(
      formatTable(
        [
          'memory (server)',
          'start',
          'end',
          'max',
          'slope, 2nd half',
          `last/2nd ${window < 60 ? `${round(window, 1)} s` : 'minute'}`,
        ],
        [
          [
            'RSS',
            `${memory.rssStartMb} MB`,
            `${memory.rssEndMb} MB`,
            `${memory.rssMaxMb} MB`,
            `${memory.rssSlopeMbPerMin} MB/min`,
            String(memory.rssLastToSecondMinuteRatio),
          ],
          [
            'heap used',
            `${memory.heapUsedStartMb} MB`,
            `${memory.heapUsedEndMb} MB`,
            '',
            `${memory.heapSlopeMbPerMin} MB/min`,
            String(memory.heapLastToSecondMinuteRatio),
          ],
        ],
      ),
    );
    console.log();
    console.log(
      formatTable(
        ['target', 'actual', 'bound', 'result'],
        Object.entries(targets).map(([key, t]) => [
          key,
          String(t.actual),
          `<= ${t.max}`,
          t.pass ? 'pass' : 'FAIL',
        ]),
      ),
    );
    if (errorSamples.length > 0) console.log(`\nfirst errors:\n  ${errorSamples.join('\n  ')}`);

    writeJson(RESULTS_FILE, {
      ...figures,
      targets,
      perOperation,
      definitions: {
        errorRate:
          '(answers other than HTTP 200 without GraphQL errors + requests skipped at SOAK_MAX_IN_FLIGHT) / requests due',
        queryP99Ms:
          'p99 over all query answers after the warm-up (lead, leads page, funnel, slaCompliance), open-loop load',
        mutationP99Ms:
          'p99 over all mutation answers after the warm-up (captureLead, recordTouch, scoreLead)',
        rssSlopeMbPerMin:
          "least-squares slope of the server's RSS (its /metrics, process_resident_memory_bytes) over the second half of the run, MB per minute",
        rssLastToSecondMinuteRatio:
          'mean RSS over the last window / mean RSS over the second window; window = 60 s, or a fifth of the run when shorter than 5 minutes',
      },
      samples: samples.map((s) => ({
        t: round(s.t, 1),
        rssMb: round(s.rssMb, 1),
        heapUsedMb: round(s.heapUsedMb, 1),
      })),
      machine: machine(),
      date: new Date().toISOString(),
      quick: QUICK,
      method: {
        server:
          'serve(loadConfig({NODE_ENV: production, DATA_DIR: <copy of the cached log>, JWT_SECRET, MASTER_KEY, PORT: 0})) in a forked child (bench/soak.ts serve mode), embedded SQLite stores, projections and SLA monitor in process; projections and past SLA deadlines caught up before the load',
        seeding: `the demo story (generateDemo, ${LEADS} leads, seed ${SEED}, from ${START}) written once through the CommandHandler (bench/cached-log.ts, shared with bench:api)`,
        load: `open loop in the parent: one request every ${round(interval, 2)} ms (${RATE}/s) in a fixed interleaving of 100 slots (${OPERATIONS.map((op) => `${op.name} ${op.percent}%`).join(', ')}), fetch (undici keep-alive), at most ${MAX_IN_FLIGHT} in flight; latencies of the first ${WARM_UP_SECONDS} s not counted`,
        memory: `GET /metrics every ${SAMPLE_SECONDS} s: leadledger_process_resident_memory_bytes, leadledger_nodejs_heap_size_used_bytes`,
      },
      notes: {
        seconds: round(seconds, 1),
        rate: RATE,
        leads: LEADS,
        seededEvents: log.info.events,
        eventsAtStart: server.events,
        leadPool: pool.length,
        serverStartMs: Math.round(server.startMs),
        warmUpSeconds: WARM_UP_SECONDS,
        firstErrors: errorSamples,
        totalRunMs: Math.round(performance.now() - began),
        ...(QUICK
          ? {
              quick:
                'a 20 s smoke run: too short for a memory trend; run without BENCH_QUICK for the 10-minute soak',
            }
          : {}),
      },
    });
    console.log(`\nwrote ${RESULTS_FILE}`);
    if (errors + skipped > 0) process.exitCode = 1;
  } finally {
    await stopChild(child).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
};

if (process.argv[2] === 'serve') {
  runServer(process.argv[3]!, process.env.BENCH_JWT_SECRET!, process.env.BENCH_MASTER_KEY!).catch(
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
