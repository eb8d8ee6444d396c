import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { SqliteEventStore } from '../../src/eventstore/sqlite';
import { withPrivacy } from '../../src/privacy/wire';
import { cli, tempDir } from './harness';

const key = () => randomBytes(32).toString('base64');

/** `leadledger rotate-master-key`: the key store rewrapped, the events untouched and readable. */
describe('leadledger rotate-master-key', () => {
  const { dir, remove } = tempDir();
  const [first, second, stranger] = [key(), key(), key()];
  afterAll(remove);

  /** The e-mails of the captured leads as the vault reads them with these master keys. */
  const emails = async (env: { MASTER_KEY: string; MASTER_KEY_PREVIOUS?: string }) => {
    const events = await withPrivacy(
      new SqliteEventStore(join(dir, 'events.db')),
      { NODE_ENV: 'test', DATA_DIR: dir, MONGODB_DB: 'unused', ...env },
      { followErasures: false },
    );
    try {
      const found: unknown[] = [];
      for await (const event of events.readAll()) {
        if (event.type === 'LeadCaptured') found.push((event.data as { email: unknown }).email);
      }
      return found;
    } finally {
      await events.close();
    }
  };
  const hashes = async () => {
    const events = new SqliteEventStore(join(dir, 'events.db'));
    const out: string[] = [];
    for await (const event of events.readAll()) out.push(event.metadata.hash);
    await events.close();
    return out;
  };

  it('rewraps every key under the new master; old events still open, their hashes unchanged', async () => {
    const seeded = await cli(['seed', '--leads', '12', '--seed', 'rotate'], {
      DATA_DIR: dir,
      MASTER_KEY: first,
    });
    expect(seeded.code).toBe(0);
    const before = await emails({ MASTER_KEY: first });
    const hashesBefore = await hashes();
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((e) => typeof e === 'string' && e.includes('@'))).toBe(true);

    const rotated = await cli(['rotate-master-key', '--json'], {
      DATA_DIR: dir,
      MASTER_KEY: second,
      MASTER_KEY_PREVIOUS: first,
    });
    expect(rotated.code).toBe(0);
    const report = JSON.parse(rotated.stdout) as { rewrapped: number; unwrappable: string[] };
    expect(report.rewrapped).toBeGreaterThanOrEqual(before.length);
    expect(report.unwrappable).toEqual([]);

    // The old master key is gone: the new one alone opens everything.
    expect(await emails({ MASTER_KEY: second })).toEqual(before);
    expect(await hashes()).toEqual(hashesBefore);
    const again = await cli(['rotate-master-key', '--json'], { DATA_DIR: dir, MASTER_KEY: second });
    expect(JSON.parse(again.stdout)).toMatchObject({ rewrapped: 0, unwrappable: [] });
  });

  it('reports keys it cannot unwrap and fails, changing nothing', async () => {
    const run = await cli(['rotate-master-key'], { DATA_DIR: dir, MASTER_KEY: stranger });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /^rewrapped 0, already current 0, skipped 0, unwrappable [1-9]\d*\n/,
    );
    expect((await emails({ MASTER_KEY: second })).length).toBeGreaterThan(0);
  });
});
