// Prints which suites ran and which were skipped (and why), then one plain closing line.
const { mkdtempSync, readFileSync, existsSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

class SuiteReporter {
  constructor() {
    this.file = join(mkdtempSync(join(tmpdir(), 'leadledger-suites-')), 'suites.ndjson');
    process.env.LEADLEDGER_SKIP_FILE = this.file;
  }

  onRunComplete(_contexts, results) {
    const lines = existsSync(this.file)
      ? readFileSync(this.file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
      : [];
    const ran = [...new Set(lines.filter((l) => l.ran).map((l) => l.suite))];
    // One line per suite and reason: shared fixtures record their skip once per test file.
    const skipped = [
      ...new Map(
        lines.filter((l) => !l.ran).map((l) => [`${l.suite}\u0000${l.reason}`, l]),
      ).values(),
    ];
    const out = ['', 'Service-backed suites:'];
    for (const suite of ran) out.push(`  RAN      ${suite}`);
    for (const { suite, reason } of skipped) out.push(`  SKIPPED  ${suite} (${reason})`);
    if (ran.length + skipped.length === 0) out.push('  (none in this run)');
    out.push(
      `jest: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests + results.numTodoTests} skipped`,
    );
    process.stdout.write(`${out.join('\n')}\n`);
  }
}

module.exports = SuiteReporter;
