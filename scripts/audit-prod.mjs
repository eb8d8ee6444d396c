#!/usr/bin/env node
/**
 * `npm run audit:prod`: `npm audit --omit=dev --audit-level=high` on the production dependencies,
 * with a summary a person can read. Exit codes: 0 no high or critical finding; 1 high or critical
 * findings (listed); 2 the audit could not run (advisory endpoint unreachable or refusing, npm
 * failed): never a silent pass. Extra arguments go to npm (e.g. `-- --registry=https://mirror/`).
 */
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import process from 'node:process';

const args = ['audit', '--omit=dev', '--audit-level=high', '--json', ...process.argv.slice(2)];
const run = spawnSync('npm', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

const fail = (lines) => {
  console.error(
    ['audit:prod: THE AUDIT DID NOT RUN — no verdict on production dependencies.', ...lines].join(
      '\n',
    ),
  );
  process.exit(2);
};

if (run.error) fail([`npm could not be started: ${run.error.message}`]);

let report;
try {
  report = JSON.parse(run.stdout);
} catch {
  fail([`npm audit printed no JSON (exit ${run.status}).`, run.stderr.trim()]);
}

// npm answers an unreachable or refusing advisory endpoint with an error object, not a report.
if (report.error || report.statusCode || !report.metadata) {
  const message = report.message ?? report.error?.summary ?? JSON.stringify(report.error ?? report);
  fail(
    [
      `npm audit could not query the advisory endpoint: ${message}`,
      report.uri ? `endpoint: ${report.method ?? 'POST'} ${report.uri}` : '',
      report.headers?.allow
        ? `the server allows only: ${[report.headers.allow].flat().join(', ')}`
        : '',
      'Run it where the registry audit API (POST /-/npm/v1/security/advisories/bulk) is reachable,',
      'or point it at a registry that serves it: npm run audit:prod -- --registry=<url>.',
    ].filter(Boolean),
  );
}

const counts = report.metadata.vulnerabilities ?? {};
const deps = report.metadata.dependencies ?? {};
const vulnerabilities = Object.values(report.vulnerabilities ?? {});
const rank = { critical: 0, high: 1, moderate: 2, low: 3, info: 4 };
vulnerabilities.sort(
  (a, b) => (rank[a.severity] ?? 9) - (rank[b.severity] ?? 9) || a.name.localeCompare(b.name),
);

console.log(
  `audit:prod: ${deps.prod ?? '?'} production dependencies; findings: ` +
    ['critical', 'high', 'moderate', 'low', 'info'].map((s) => `${counts[s] ?? 0} ${s}`).join(', '),
);
for (const v of vulnerabilities) {
  const via = v.via
    .map((x) =>
      typeof x === 'string' ? `via ${x}` : `${x.title} (${x.url ?? x.source}, ${x.range})`,
    )
    .join('; ');
  const fix =
    v.fixAvailable === true
      ? 'fix: npm audit fix'
      : v.fixAvailable
        ? `fix: ${v.fixAvailable.name}@${v.fixAvailable.version}${v.fixAvailable.isSemVerMajor ? ' (major)' : ''}`
        : 'no fix available';
  console.log(`  ${v.severity.padEnd(8)} ${v.name} ${v.range}: ${via}; ${fix}`);
}

const blocking = (counts.high ?? 0) + (counts.critical ?? 0);
if (blocking > 0) {
  console.error(
    `audit:prod: FAIL — ${blocking} high or critical finding(s) in production dependencies.`,
  );
  process.exit(1);
}
console.log('audit:prod: pass — no high or critical finding in production dependencies.');
