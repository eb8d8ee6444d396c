/**
 * `npm run bench`: every benchmark in sequence (eventstore, projections, analytics, api, soak),
 * each in its own process, honouring BENCH_QUICK and the other BENCH_* variables, then
 * BENCHMARKS.md regenerated from bench/results/*.json: per figure, its peer or ceiling measured
 * in the same run, the ratio, the target and pass/FAIL, with the machine, the date and how to
 * reproduce. A benchmark that fails does not stop the others; its row in BENCHMARKS.md keeps the
 * figures of its last successful run, marked stale, and the command exits 1.
 * `--report-only` regenerates BENCHMARKS.md from the results files without running anything;
 * `--only a,b` runs those benchmarks only.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const RESULTS = join(ROOT, 'bench/results');
const QUICK = process.env.BENCH_QUICK === '1';

const BENCHES = ['eventstore', 'projections', 'analytics', 'api', 'soak'] as const;
type Bench = (typeof BENCHES)[number];

// ---- results files -------------------------------------------------------------------------------

type Json = Record<string, unknown>;
interface Target {
  min?: number;
  max?: number;
  below?: number;
  actual: number | null;
  pass: boolean;
}

const load = (bench: Bench): Json | undefined => {
  const file = join(RESULTS, `${bench}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Json) : undefined;
};

/** The value at a dotted path of a results file (`overhead.funnel.httpSingleP50Ms`). */
const at = (json: Json, path: string): number | null => {
  let value: unknown = json;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return null;
    value = (value as Json)[key];
  }
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
};

// ---- what each figure is compared with -------------------------------------------------------------

interface Row {
  /** The figure, as BENCHMARKS.md names it. */
  figure: string;
  path: string;
  unit: string;
  /** The peer or ceiling measured in the same run, if any. */
  peer?: { name: string; path: string };
  /** Which way is better: a throughput (higher) or a latency/size (lower). */
  higherIsBetter: boolean;
  /** The key of the figure (or of its ratio) in the file's `targets`. */
  target?: string;
}

const ROWS: Record<Bench, Row[]> = {
  eventstore: [
    {
      figure: 'appends through the port (SQLite adapter), events/s',
      path: 'portAppendsPerSec',
      unit: '/s',
      peer: { name: 'raw better-sqlite3 INSERTs (ceiling)', path: 'rawSqliteInsertsPerSec' },
      higherIsBetter: true,
      target: 'portVsRaw',
    },
    {
      figure: 'commands handled (decide + append), /s',
      path: 'handleCommandsPerSec',
      unit: '/s',
      peer: { name: 'raw better-sqlite3 INSERTs (ceiling)', path: 'rawSqliteInsertsPerSec' },
      higherIsBetter: true,
      target: 'handleVsRaw',
    },
    {
      figure: 'commands handled (decide + append), /s',
      path: 'handleCommandsPerSec',
      unit: '/s',
      peer: {
        name: "Emmett's SQLite event store appendToStream (peer)",
        path: 'emmettAppendsPerSec',
      },
      higherIsBetter: true,
      target: 'handleVsEmmett',
    },
    {
      figure: 'commands handled (decide + append), /s',
      path: 'handleCommandsPerSec',
      unit: '/s',
      peer: {
        name: "Emmett's SQLite event store, one connection reused (peer)",
        path: 'notes.emmettOneConnectionAppendsPerSec',
      },
      higherIsBetter: true,
    },
    {
      figure: 'readAll through the port, events/s',
      path: 'readAllEventsPerSec',
      unit: '/s',
      peer: { name: 'raw better-sqlite3 SELECT (ceiling)', path: 'rawSqliteReadPerSec' },
      higherIsBetter: true,
      target: 'readAllVsRawRead',
    },
  ],
  projections: [
    {
      figure: 'rebuild of every projection, events/s',
      path: 'rebuildEventsPerSec',
      unit: '/s',
      peer: { name: 'EventStore.readAll, no projection (ceiling)', path: 'logReadEventsPerSec' },
      higherIsBetter: true,
      target: 'rebuildVsLogRead',
    },
    {
      figure: 'rebuild of every projection, events/s (absolute)',
      path: 'rebuildEventsPerSec',
      unit: '/s',
      higherIsBetter: true,
      target: 'rebuildEventsPerSec',
    },
    {
      figure: 'rebuild peak RSS, MB',
      path: 'rebuildPeakRssMb',
      unit: 'MB',
      peer: { name: 'peak RSS of the log read alone', path: 'notes.logReadPeakRssMb' },
      higherIsBetter: false,
      target: 'rebuildPeakRssMb',
    },
    {
      figure: 'live lag p99 at 1k events/s, ms',
      path: 'lagP99Ms',
      unit: 'ms',
      peer: { name: 'lag p50 (same run)', path: 'lagP50Ms' },
      higherIsBetter: false,
      target: 'lagP99Ms',
    },
    {
      figure: 'rebuild into MongoDB, events/s',
      path: 'mongoRebuildEventsPerSec',
      unit: '/s',
      peer: { name: 'EventStore.readAll (ceiling)', path: 'logReadEventsPerSec' },
      higherIsBetter: true,
    },
  ],
  analytics: [
    {
      figure: 'attribution query p50, ms',
      path: 'attributionP50Ms',
      unit: 'ms',
      peer: {
        name: 'raw SQLite SUM over the flat credits (no pre-aggregation)',
        path: 'rawCreditsAttributionP50Ms',
      },
      higherIsBetter: false,
    },
    {
      figure: 'attribution query p50, ms',
      path: 'attributionP50Ms',
      unit: 'ms',
      peer: {
        name: 'raw SQLite SUM over the same rollup rows (ceiling)',
        path: 'rawAggregatesAttributionP50Ms',
      },
      higherIsBetter: false,
    },
    {
      figure: 'attribution query p99, ms',
      path: 'attributionP99Ms',
      unit: 'ms',
      higherIsBetter: false,
      target: 'attributionP99Ms',
    },
    {
      figure: 'attribution, rolling ranges p99, ms',
      path: 'attributionRollingP99Ms',
      unit: 'ms',
      higherIsBetter: false,
      target: 'attributionRollingP99Ms',
    },
    {
      figure: 'attributionComparison p50, ms',
      path: 'comparisonP50Ms',
      unit: 'ms',
      peer: { name: 'raw SQLite SUM over the flat credits', path: 'rawCreditsComparisonP50Ms' },
      higherIsBetter: false,
    },
    {
      figure: 'attributionComparison p50, ms',
      path: 'comparisonP50Ms',
      unit: 'ms',
      peer: {
        name: 'raw SQLite SUM over the same rollup rows (ceiling)',
        path: 'rawAggregatesComparisonP50Ms',
      },
      higherIsBetter: false,
    },
    {
      figure: 'attributionComparison p99, ms',
      path: 'comparisonP99Ms',
      unit: 'ms',
      higherIsBetter: false,
      target: 'comparisonP99Ms',
    },
    {
      figure: 'attributionComparison, rolling p99, ms',
      path: 'comparisonRollingP99Ms',
      unit: 'ms',
      higherIsBetter: false,
      target: 'comparisonRollingP99Ms',
    },
    {
      figure: 'campaignPerformance p99, ms',
      path: 'campaignPerformanceP99Ms',
      unit: 'ms',
      higherIsBetter: false,
      target: 'campaignPerformanceP99Ms',
    },
    {
      figure: 'campaignPerformance, rolling p99, ms',
      path: 'campaignPerformanceRollingP99Ms',
      unit: 'ms',
      higherIsBetter: false,
    },
    {
      figure: 'attribution rebuild, events/s',
      path: 'attributionRebuildEventsPerSec',
      unit: '/s',
      peer: { name: 'EventStore.readAll (ceiling)', path: 'logReadEventsPerSec' },
      higherIsBetter: true,
    },
    {
      figure: 'rebuild of every projection, events/s',
      path: 'allProjectionsRebuildEventsPerSec',
      unit: '/s',
      peer: { name: 'EventStore.readAll (ceiling)', path: 'logReadEventsPerSec' },
      higherIsBetter: true,
    },
  ],
  api: [
    {
      figure: 'captureLead over HTTP, 10 connections, /s',
      path: 'mutationsPerSec',
      unit: '/s',
      peer: {
        name: 'bare graphql-js execute, 10 in flight (ceiling)',
        path: 'bareExecuteOpsPerSec',
      },
      higherIsBetter: true,
      target: 'mutationsPerSec',
    },
    {
      figure: 'captureLead p99 under load, ms',
      path: 'mutationP99Ms',
      unit: 'ms',
      higherIsBetter: false,
    },
    {
      figure: 'captureLead HTTP p50, one at a time, ms',
      path: 'overhead.captureLead.httpSingleP50Ms',
      unit: 'ms',
      peer: {
        name: 'bare graphql-js execute p50 (same schema and services)',
        path: 'overhead.captureLead.bareSingleP50Ms',
      },
      higherIsBetter: false,
      target: 'overheadRatio',
    },
    {
      figure: 'funnel HTTP p50, one at a time, ms',
      path: 'overhead.funnel.httpSingleP50Ms',
      unit: 'ms',
      peer: { name: 'bare graphql-js execute p50', path: 'overhead.funnel.bareSingleP50Ms' },
      higherIsBetter: false,
    },
    {
      figure: 'leads page HTTP p50, one at a time, ms',
      path: 'overhead.leads.httpSingleP50Ms',
      unit: 'ms',
      peer: { name: 'bare graphql-js execute p50', path: 'overhead.leads.bareSingleP50Ms' },
      higherIsBetter: false,
    },
    {
      figure: 'funnel p99 over HTTP, 10 connections, ms',
      path: 'funnelP99Ms',
      unit: 'ms',
      peer: { name: 'the same, one connection', path: 'funnelP99MsOneAtATime' },
      higherIsBetter: false,
      target: 'funnelP99Ms',
    },
    {
      figure: 'leads page p99 over HTTP, 10 connections, ms',
      path: 'leadsP99Ms',
      unit: 'ms',
      peer: { name: 'the same, one connection', path: 'leadsP99MsOneAtATime' },
      higherIsBetter: false,
      target: 'leadsP99Ms',
    },
  ],
  soak: [
    {
      figure: 'error rate under the mixed load',
      path: 'errorRate',
      unit: '',
      higherIsBetter: false,
      target: 'errorRate',
    },
    {
      figure: 'server RSS slope over the second half, MB/min',
      path: 'rssSlopeMbPerMin',
      unit: 'MB/min',
      higherIsBetter: false,
      target: 'rssSlopeMbPerMin',
    },
    {
      figure: 'server RSS at the end of the load, MB',
      path: 'rssEndMb',
      unit: 'MB',
      peer: { name: 'RSS at the start of the load', path: 'rssStartMb' },
      higherIsBetter: false,
    },
    {
      figure: 'RSS last minute / second minute',
      path: 'rssLastToSecondMinuteRatio',
      unit: '',
      higherIsBetter: false,
      target: 'rssLastToSecondMinuteRatio',
    },
    {
      figure: 'V8 heap used slope over the second half, MB/min',
      path: 'heapSlopeMbPerMin',
      unit: 'MB/min',
      higherIsBetter: false,
    },
    {
      figure: 'query p99 (lead, leads, funnel, slaCompliance), ms',
      path: 'queryP99Ms',
      unit: 'ms',
      higherIsBetter: false,
    },
    {
      figure: 'mutation p99 (captureLead, recordTouch, scoreLead), ms',
      path: 'mutationP99Ms',
      unit: 'ms',
      higherIsBetter: false,
    },
  ],
};

const WHAT: Record<Bench, string> = {
  eventstore:
    'The event store port on SQLite against raw better-sqlite3 (the ceiling: the same rows without the port) and Emmett’s SQLite event store (`@event-driven-io/emmett-sqlite`, the peer), all on fresh files in one temp dir.',
  projections:
    'Every projection rebuilt from the demo story’s log into a fresh SQLite read store, against the log read alone (the ceiling); live lag while commands append ~1k events/s. MongoDB when MONGODB_URI is set.',
  analytics:
    'The attribution, comparison and campaign queries on 100k leads / 20k deals / 500k touches, against raw SQLite sums over the same data in plain indexed tables (the flat credits: what a user without pre-aggregation gets; the very rollup rows the queries read: the ceiling).',
  api: 'The real server (HTTP, Apollo, JWT, projections in process, as `npm start` runs them) in a child process under autocannon, against bare graphql-js `execute` on the same schema and services in the same process (the ceiling).',
  soak: 'The real server under a steady open-loop mix (80% queries, 20% mutations) for 10 minutes; memory sampled from its own /metrics.',
};

const REPRODUCE: Record<Bench, string> = {
  eventstore: 'npm run bench:eventstore',
  projections: 'npm run bench:projections',
  analytics: 'npm run bench:analytics',
  api: 'npm run bench:api',
  soak: 'npm run bench:soak',
};

// ---- BENCHMARKS.md -------------------------------------------------------------------------------------

const fmt = (n: number | null, unit = ''): string => {
  if (n === null) return 'not measured';
  const abs = Math.abs(n);
  const digits = (text: string) => (text.includes('.') ? text.replace(/\.?0+$/, '') : text);
  const text =
    abs >= 1000
      ? Math.round(n).toLocaleString('en-US')
      : abs >= 100
        ? n.toFixed(0)
        : abs >= 10
          ? digits(n.toFixed(2))
          : digits(n.toPrecision(4));
  return unit === '/s' || unit === '' ? text : `${text} ${unit}`;
};

const bound = (t: Target) =>
  t.min !== undefined
    ? `≥ ${fmt(t.min)}`
    : t.max !== undefined
      ? `≤ ${fmt(t.max)}`
      : `< ${fmt(t.below ?? null)}`;

const str = (value: unknown) =>
  typeof value === 'string' || typeof value === 'number' ? String(value) : '?';

const machineLine = (m: unknown) => {
  const x = (m ?? {}) as Record<string, unknown>;
  return `${str(x.cpuModel)} × ${str(x.cpuCount)}, ${str(x.memoryGiB)} GiB, Node ${str(x.node)}, ${str(x.os)}`;
};

interface RunOutcome {
  status: 'ran' | 'failed' | 'not run';
  seconds?: number;
}

export const renderReport = (outcomes: Partial<Record<Bench, RunOutcome>> = {}): string => {
  const lines: string[] = [];
  const summary: string[][] = [];
  const sections: string[] = [];
  for (const bench of BENCHES) {
    const json = load(bench);
    const outcome = outcomes[bench];
    if (!json) {
      summary.push([`[${bench}](#${bench})`, '—', '—', '—', 'no results file yet']);
      sections.push(`## ${bench}\n\nNo results yet: \`${REPRODUCE[bench]}\`.\n`);
      continue;
    }
    const targets = (json.targets ?? {}) as Record<string, Target>;
    const ratios = (json.ratios ?? {}) as Record<string, number>;
    const rows: string[][] = [];
    const used = new Set<string>();
    for (const row of ROWS[bench]) {
      const value = at(json, row.path);
      const peer = row.peer ? at(json, row.peer.path) : null;
      const target = row.target ? targets[row.target] : undefined;
      if (row.target) used.add(row.target);
      // Always ours / peer (the results file's own rounding when it states the ratio).
      const ratio =
        value !== null && peer !== null && peer !== 0
          ? (ratios[row.target ?? ''] ?? value / peer)
          : null;
      rows.push([
        row.figure,
        fmt(value, row.unit),
        row.peer ? `${row.peer.name}: ${fmt(peer, row.unit)}` : '—',
        ratio === null ? '—' : `${fmt(ratio)}×`,
        target ? `${row.target} ${bound(target)}` : '—',
        target ? (target.pass ? 'pass' : `**FAIL** (${fmt(target.actual)})`) : '—',
      ]);
    }
    // Targets the table above does not show yet: never leave a FAIL out.
    for (const [key, target] of Object.entries(targets)) {
      if (used.has(key)) continue;
      rows.push([
        key,
        fmt(target.actual),
        '—',
        '—',
        `${key} ${bound(target)}`,
        target.pass ? 'pass' : `**FAIL** (${fmt(target.actual)})`,
      ]);
    }
    const all = Object.values(targets);
    const passed = all.filter((t) => t.pass).length;
    const date = str(json.date);
    const stale =
      outcome?.status === 'failed'
        ? ' — **this run failed; figures of the last successful run**'
        : '';
    summary.push([
      `[${bench}](#${bench})`,
      date.slice(0, 10),
      json.quick ? 'quick' : 'full',
      `${passed} of ${all.length}`,
      `${all.length - passed > 0 ? `**${all.length - passed} FAIL**` : 'all pass'}${stale}`,
    ]);
    const table = [
      '| figure | value | peer or ceiling, same run | ratio (value / peer) | target | result |',
      '| --- | ---: | --- | ---: | --- | --- |',
      ...rows.map((r) => `| ${r.join(' | ')} |`),
    ].join('\n');
    const definitions = (json.definitions ?? {}) as Record<string, string>;
    const method = (json.method ?? {}) as Record<string, unknown>;
    const detail = [
      ...Object.entries(definitions).map(([k, v]) => `- \`${k}\`: ${v}`),
      ...Object.entries(method).map(
        ([k, v]) => `- ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`,
      ),
    ];
    sections.push(
      [
        `## ${bench}`,
        '',
        WHAT[bench],
        '',
        `Measured ${date} on ${machineLine(json.machine)}${json.quick ? ' — **quick run (BENCH_QUICK=1): a smoke test, not the reference figures**' : ''}${stale}.`,
        `Reproduce: \`${REPRODUCE[bench]}\` (\`BENCH_QUICK=1\` for a short run); raw figures in \`bench/results/${bench}.json\`.`,
        '',
        table,
        '',
        ...(detail.length > 0
          ? [
              '<details><summary>Definitions and method</summary>',
              '',
              ...detail,
              '',
              '</details>',
              '',
            ]
          : []),
      ].join('\n'),
    );
  }
  lines.push(
    '# Benchmarks',
    '',
    'Generated by `npm run bench` (bench/run-all.ts) from `bench/results/*.json`; do not edit by hand ' +
      '(`npm run bench -- --report-only` regenerates it without running anything). Every figure is shown ' +
      'next to its peer or ceiling measured in the same run, on the same machine; targets that fail are ' +
      'shown as **FAIL** with the figure. The ratio is always value / peer: above 1× a throughput beats ' +
      'its peer, below 1× a latency does.',
    '',
    '| benchmark | date | run | targets passed | result |',
    '| --- | --- | --- | --- | --- |',
    ...summary.map((r) => `| ${r.join(' | ')} |`),
    '',
    'Peers and ceilings: raw better-sqlite3 (the same rows without our code), Emmett’s SQLite event store ' +
      '(`@event-driven-io/emmett-sqlite`, what a Node user would pick for an embedded event store), bare ' +
      'graphql-js `execute` (our schema without HTTP, Apollo and JWT), raw SQLite sums over flat tables ' +
      '(analytics without pre-aggregation). Not measured here: EventStoreDB/KurrentDB (no server on the ' +
      'benchmark machines) and MongoDB (none either: `bench:projections` measures its rebuild when ' +
      '`MONGODB_URI` is set, here against FerretDB 1.24 on 127.0.0.1, a stand-in whose SQLite handler scans ' +
      'a collection for every update; the rebuild is staged in SQLite and loaded by inserts, ADR 012).',
    '',
    'How to reproduce everything: `npm ci && npm run bench` (about an hour on 2 cores: the first run also ' +
      'generates the cached logs under `bench/.cache/`), or `BENCH_QUICK=1 npm run bench` (a few minutes). ' +
      'Run nothing else on the machine meanwhile: every figure is CPU-bound.',
    '',
    ...sections,
  );
  return `${lines.join('\n').trimEnd()}\n`;
};

// ---- running -------------------------------------------------------------------------------------------

/** Other benchmark processes on the machine (they would skew every figure). */
const othersRunning = (): string[] => {
  const found = spawnSync('pgrep', ['-af', 'dist/bench/'], { encoding: 'utf8' });
  return (found.stdout ?? '')
    .split('\n')
    .filter(
      (line) => line.trim() && !line.startsWith(`${process.pid} `) && !line.includes('run-all'),
    );
};

/** BENCHMARKS.md as `prettier --check .` wants it (npm run lint). */
const formatted = async (markdown: string, file: string): Promise<string> => {
  try {
    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(file)) ?? {};
    return await prettier.format(markdown, { ...options, filepath: file });
  } catch (error) {
    console.warn(`BENCHMARKS.md left unformatted (prettier: ${String(error)})`);
    return markdown;
  }
};

const main = async () => {
  const args = process.argv.slice(2);
  const outcomes: Partial<Record<Bench, RunOutcome>> = {};
  if (!args.includes('--report-only')) {
    const onlyArg = args.find((a) => a.startsWith('--only'));
    const only = onlyArg
      ? (onlyArg.split('=')[1] ?? args[args.indexOf(onlyArg) + 1] ?? '').split(',')
      : [...BENCHES];
    const others = othersRunning();
    if (others.length > 0) {
      console.error(`another benchmark is running; not starting:\n  ${others.join('\n  ')}`);
      process.exit(1);
    }
    for (const bench of BENCHES) {
      if (!only.includes(bench)) {
        outcomes[bench] = { status: 'not run' };
        continue;
      }
      console.log(`\n=== ${bench}${QUICK ? ' (quick)' : ''} ===`);
      const started = performance.now();
      const run = spawnSync(process.execPath, [join(__dirname, `${bench}.js`)], {
        stdio: 'inherit',
        env: process.env,
      });
      const seconds = Math.round((performance.now() - started) / 100) / 10;
      outcomes[bench] = { status: run.status === 0 ? 'ran' : 'failed', seconds };
      console.log(
        `=== ${bench}: ${run.status === 0 ? 'done' : `FAILED (exit ${run.status ?? run.signal})`} in ${seconds} s`,
      );
    }
  }
  const file = join(ROOT, 'BENCHMARKS.md');
  writeFileSync(file, await formatted(renderReport(outcomes), file));
  console.log(`\nwrote ${file}`);
  const failed = Object.entries(outcomes).filter(([, o]) => o.status === 'failed');
  if (failed.length > 0) {
    console.error(`failed: ${failed.map(([b]) => b).join(', ')}`);
    process.exitCode = 1;
  }
};

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
