import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `npm start`'s entry, built and run as a process: config refusals, serving, SIGTERM. */
describe('the server process', () => {
  const root = join(__dirname, '..', '..');
  const main = join(root, 'dist', 'src', 'main.js');
  let dir: string;

  beforeAll(() => {
    const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(build.status).toBe(0);
    dir = mkdtempSync(join(tmpdir(), 'leadledger-start-'));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const env = (extra: Record<string, string>) => ({
    PATH: process.env.PATH,
    DATA_DIR: dir,
    ...extra,
  });

  it.each([
    [{ PORT: 'eighty' }, /^lead-ledger: invalid PORT: /],
    [{ JWT_SECRET: 'short' }, /^lead-ledger: invalid JWT_SECRET: must be at least 32 characters$/],
    [
      { NODE_ENV: 'production' },
      /^lead-ledger: invalid JWT_SECRET: required when NODE_ENV=production$/,
    ],
    [
      { MONGODB_URI: 'postgres://x' },
      /^lead-ledger: invalid MONGODB_URI: must start with mongodb:\/\//,
    ],
  ])('refuses %j with one line naming the variable', (extra, line) => {
    const run = spawnSync('node', [main], { env: env(extra), encoding: 'utf8', timeout: 20_000 });
    expect(run.status).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
  });

  it('serves on the embedded stores and stops cleanly on SIGTERM', async () => {
    const child = spawn('node', [main], {
      env: env({ PORT: '0' }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line in: ${log}`)), 20_000);
      child.stderr.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        const match = /"url":"(http:[^"]+)"/.exec(log);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
    });
    expect(log).toContain('JWT_SECRET is not set');
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ projectionStatus { name } }' }),
    });
    expect(
      ((await res.json()) as { data: { projectionStatus: unknown[] } }).data.projectionStatus
        .length,
    ).toBeGreaterThan(3);
    const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  }, 30_000);
});
