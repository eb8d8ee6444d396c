import { join } from 'node:path';
import { metaKey, physical, asMeta } from '../../src/projections/generations';
import { PROJECTIONS } from '../../src/projections/catalog';
import { SqliteReadStore } from '../../src/readstore/sqlite';
import type { ProjectionLag } from '../../src/cli/commands/status';
import { cli, eventually, startCli, tempDir } from './harness';

/** Every document of every projection's live generation, by logical collection. */
const readModels = async (dir: string) => {
  const store = new SqliteReadStore(join(dir, 'readmodels.db'));
  try {
    const out: Record<string, unknown> = {};
    for (const projection of PROJECTIONS) {
      const meta = asMeta(await store.readMeta(metaKey(projection.name)))!;
      for (const { name } of projection.collections) {
        out[name] = await store.find(physical(name, meta.generation), {
          sort: [{ field: '_id', direction: 'asc' }],
        });
      }
    }
    return out;
  } finally {
    await store.close();
  }
};

const statusOf = async (env: Record<string, string>) => {
  const run = await cli(['status', '--json'], env, { app: { clock: () => STORY_START } });
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as { head: string; projections: ProjectionLag[] };
};

/** Business time of the demo's first day: the SLA monitor finds nothing due then. */
const STORY_START = new Date('2025-01-01T00:00:00Z');

describe('leadledger project, status, rebuild, sla-monitor and serve', () => {
  const store = tempDir();
  const env = { DATA_DIR: store.dir, SLA_MONITOR_INTERVAL_MS: '200' };
  let events = 0;

  beforeAll(async () => {
    const seeded = await cli(
      ['seed', '--leads', '100', '--seed', 'projections', '--start', '2025-01-01', '--json'],
      env,
    );
    expect(seeded.code).toBe(0);
    events = (JSON.parse(seeded.stdout) as { events: number }).events;
  }, 60_000);
  afterAll(() => store.remove());

  it('status before any projector: every projection not started, the whole log behind', async () => {
    const { head, projections } = await statusOf(env);
    expect(head).not.toBe('');
    expect(projections.map((p) => p.name)).toEqual(PROJECTIONS.map((p) => p.name));
    for (const p of projections) {
      expect(p).toMatchObject({ generation: null, position: '', lagEvents: events });
    }
  });

  it('project runs the projections to the head and stops cleanly on SIGTERM', async () => {
    const projector = startCli(['project', '--status-every', '0'], env, {
      app: { clock: () => STORY_START },
    });
    await eventually(async () =>
      (await statusOf(env)).projections.every((p) => p.lagEvents === 0 && p.generation === 1),
    );
    expect(projector.stderr()).toContain('"msg":"Lead Ledger projector running"');
    projector.stop('SIGTERM');
    const { code, stderr, stdout } = await projector.done;
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toContain('"msg":"SIGTERM: finishing the current batch and stopping"');
    expect(stderr).toContain('"msg":"projector stopped"');
  }, 30_000);

  it('status prints every projection with its position and lag', async () => {
    const run = await cli(['status'], env, { app: { clock: () => STORY_START } });
    expect(run.code).toBe(0);
    const [headLine, blank, header, ...rows] = run.stdout.trimEnd().split('\n');
    expect(headLine).toMatch(/^event store head: \d+$/);
    expect(blank).toBe('');
    expect(header).toMatch(/^projection +generation +position +lag events +lag seconds +state$/);
    expect(rows.map((r) => r.split(/ +/)[0])).toEqual(PROJECTIONS.map((p) => p.name));
    for (const row of rows) expect(row).toMatch(/ g1 +\d+ +0 +0\.0 +up to date$/);
  });

  it('rebuild switches every projection to a new generation with the same documents', async () => {
    const before = await readModels(store.dir);
    const run = await cli(['rebuild'], env, { app: { runner: { dropGraceMs: 0 } } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual(PROJECTIONS.map((p) => `rebuilt ${p.name}`));
    for (const l of lines) expect(l).toMatch(/: generation 1 -> 2, [\d,]+ events in [\d.]+ s$/);
    expect(await readModels(store.dir)).toEqual(before);
    const { projections } = await statusOf(env);
    expect(projections.every((p) => p.generation === 2 && p.lagEvents === 0)).toBe(true);

    const one = await cli(['rebuild', 'leads'], env, { app: { runner: { dropGraceMs: 0 } } });
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^rebuilt leads: generation 2 -> 3, /);
    expect(await readModels(store.dir)).toEqual(before);
  }, 60_000);

  it('rebuild refuses projections another projector holds', async () => {
    const projector = startCli(['project', '--status-every', '0'], env, {
      app: { clock: () => STORY_START },
    });
    try {
      await eventually(() => projector.stderr().includes('Lead Ledger projector running'));
      const run = await cli(['rebuild', 'funnel'], env);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        'leadledger: another projector process runs funnel (it holds the lease): stop it, then rebuild\n',
      );
    } finally {
      projector.stop();
      expect((await projector.done).code).toBe(0);
    }
  }, 30_000);

  it('serve --no-projections answers from the read models a projector built', async () => {
    const server = startCli(['serve', '--no-projections'], { ...env, PORT: '0' });
    try {
      await eventually(() => /"url":"http[^"]+"/.test(server.stderr()));
      const url = /"url":"(http[^"]+)"/.exec(server.stderr())![1]!;
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ leads(first: 1) { totalCount } }' }),
      });
      const body = (await res.json()) as { data?: { leads: { totalCount: number } } };
      expect(body.data?.leads.totalCount).toBe(100);
      expect(server.stderr()).not.toContain('The event store is empty');
    } finally {
      server.stop('SIGINT');
      const { code, stderr } = await server.done;
      expect(code).toBe(0);
      expect(stderr).toContain('"msg":"SIGINT: shutting down"');
    }
  }, 30_000);

  it('sla-monitor runs against the read store as it is, and stops on SIGTERM', async () => {
    const monitor = startCli(['sla-monitor'], env, { app: { clock: () => STORY_START } });
    await eventually(() => monitor.stderr().includes('Lead Ledger SLA monitor running'));
    monitor.stop();
    const { code, stderr } = await monitor.done;
    expect(code).toBe(0);
    expect(stderr).toContain('"msg":"SLA monitor stopped"');
    expect(stderr).not.toContain('"level":"error"');

    const empty = tempDir();
    try {
      const idle = startCli(['sla-monitor'], {
        DATA_DIR: empty.dir,
        SLA_MONITOR_INTERVAL_MS: '100',
      });
      await eventually(() => idle.stderr().includes('no projector has built the sla-deadlines'));
      idle.stop();
      expect((await idle.done).code).toBe(0);
    } finally {
      empty.remove();
    }
  }, 30_000);

  it('serve offers a demo on an empty store, and with --demo loads one first', async () => {
    const empty = tempDir();
    try {
      const plain = startCli(['serve'], { DATA_DIR: empty.dir, PORT: '0' });
      await eventually(() => plain.stderr().includes('The event store is empty'));
      expect(plain.stderr()).toContain('`npm start -- --demo`');
      plain.stop();
      expect((await plain.done).code).toBe(0);

      const demo = startCli(['serve', '--demo'], { DATA_DIR: empty.dir, PORT: '0' });
      try {
        await eventually(() => /"url":"http[^"]+"/.test(demo.stderr()), 30_000);
        expect(demo.stderr()).toMatch(/"rejected":0,[^\n]*"msg":"demo loaded"/);
        expect(demo.stderr()).not.toContain('The event store is empty');
        const url = /"url":"(http[^"]+)"/.exec(demo.stderr())![1]!;
        await eventually(async () => {
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: '{ leads(first: 1) { totalCount } }' }),
          });
          const body = (await res.json()) as { data?: { leads: { totalCount: number } } };
          return body.data?.leads.totalCount === 300;
        });
      } finally {
        demo.stop();
        expect((await demo.done).code).toBe(0);
      }
    } finally {
      empty.remove();
    }
  }, 60_000);
});
