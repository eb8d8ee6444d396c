import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS } from '../../src/cli/main';
import { cli, tempDir } from './harness';

const NAMES = Object.keys(COMMANDS);

describe('leadledger command line', () => {
  it('lists every command and the exit codes in --help', async () => {
    const { code, stdout, stderr } = await cli(['--help']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(NAMES.sort()).toEqual(
      [
        'export',
        'project',
        'rebuild',
        'rotate-master-key',
        'seed',
        'serve',
        'sla-monitor',
        'status',
        'verify',
      ].sort(),
    );
    for (const name of NAMES) expect(stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    for (const exit of ['0  done', '1  failure', '2  usage error', '3  verification failed']) {
      expect(stdout).toContain(exit);
    }
    expect((await cli(['help'])).stdout).toBe(stdout);
  });

  it.each(NAMES)(
    '%s --help prints its usage and exit codes, and touches no store',
    async (name) => {
      // No DATA_DIR and an invalid PORT: help must not need a configuration.
      const { code, stdout, stderr } = await cli([name, '--help'], { PORT: 'not-a-port' });
      expect(code).toBe(0);
      expect(stderr).toBe('');
      expect(stdout.startsWith(`Usage: leadledger ${name}`)).toBe(true);
      expect(stdout).toMatch(/Exit codes: 0 /);
      expect(stdout).toContain('-h, --help');
      expect((await cli(['help', name])).stdout).toBe(stdout);
      expect((await cli([name, '-h'])).stdout).toBe(stdout);
    },
  );

  it.each([
    [
      ['seed', '--bogus'],
      /^leadledger seed: Unknown option '--bogus' \(see leadledger seed --help\)$/,
    ],
    [['status', 'extra'], /^leadledger status: Unexpected argument 'extra'/],
    [['seed', '--leads', 'many'], /^leadledger seed: --leads must be a whole number from 1 to /],
    [['seed', '--leads'], /^leadledger seed: Option '--leads <value>' argument missing/],
    [['seed', '--start', 'yesterday'], /^leadledger seed: --start must be an ISO-8601 date/],
    [['verify'], /^leadledger verify: name the streams to verify, or pass --all/],
    [['verify', '--all', 'lead-1'], /^leadledger verify: name streams or pass --all, not both/],
    [['rebuild', 'nope'], /^leadledger rebuild: unknown projection nope \(projections: leads, /],
    [['project', '--status-every', '-1'], /^leadledger project: /],
    [['frobnicate'], /^leadledger: unknown command 'frobnicate' \(commands: serve, /],
  ])('%j is a usage error: exit 2 with one line', async (argv, line) => {
    const { dir, remove } = tempDir();
    try {
      const { code, stdout, stderr } = await cli(argv, { DATA_DIR: dir });
      expect(code).toBe(2);
      expect(stdout).toBe('');
      const lines = stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(line);
    } finally {
      remove();
    }
  });

  it('without a command prints the usage on stderr and exits 2', async () => {
    const { code, stdout, stderr } = await cli([]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('Usage: leadledger <command>');
  });

  it('refuses a bad configuration with one line naming the variable: exit 1', async () => {
    const { code, stderr } = await cli(['status'], { MONGODB_URI: 'postgres://x' });
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^leadledger: invalid MONGODB_URI: must start with mongodb:\/\/[^\n]*\n$/,
    );
  });

  it('reports an unreachable store in one line, with the stack only under DEBUG=1', async () => {
    const { dir, remove } = tempDir();
    try {
      // A file where the data folder should be: the SQLite stores cannot open.
      const blocked = join(dir, 'file');
      spawnSync('touch', [blocked]);
      const plain = await cli(['status'], { DATA_DIR: blocked });
      expect(plain.code).toBe(1);
      expect(plain.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(plain.stderr).toMatch(/^leadledger: cannot open the stores: /);
      const verifyFile = await cli(['verify', '--file', join(dir, 'missing.ndjson')], {
        DEBUG: '1',
      });
      expect(verifyFile.code).toBe(1);
      expect(verifyFile.stderr).toMatch(/^leadledger: cannot read .*missing\.ndjson: /);
      expect(verifyFile.stderr).toContain('    at ');
    } finally {
      remove();
    }
  });

  it('bin/leadledger asks for a build when dist is missing', () => {
    const { dir, remove } = tempDir();
    try {
      mkdirSync(join(dir, 'bin'));
      copyFileSync(
        join(__dirname, '..', '..', 'bin', 'leadledger'),
        join(dir, 'bin', 'leadledger'),
      );
      const run = spawnSync('node', [join(dir, 'bin', 'leadledger'), 'status'], {
        encoding: 'utf8',
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toBe(
        'leadledger: run `npm run build` first (dist/src/cli/main.js is missing)\n',
      );
    } finally {
      remove();
    }
  });
});
