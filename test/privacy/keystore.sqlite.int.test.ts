import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteKeyStore } from '../../src/privacy/keystore/sqlite';
import { keyStoreContract } from './keystore.contract';

const tempDir = () => mkdtempSync(join(tmpdir(), 'leadledger-keys-'));

keyStoreContract('SQLite', () => {
  const dir = tempDir();
  const store = new SqliteKeyStore(join(dir, 'nested', 'keys.db'));
  return Promise.resolve({
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
});

describe('SqliteKeyStore specifics', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = tempDir();
    file = join(dir, 'keys.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** The bytes of the database and of its WAL, as a disk image would show them. */
  const rawBytes = () =>
    [file, `${file}-wal`]
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f).toString('latin1'))
      .join('\n');

  it('leaves no trace of a forgotten key in the file or its WAL, open or closed', async () => {
    const store = new SqliteKeyStore(file);
    const wrapped = randomBytes(60).toString('base64url');
    const kept = randomBytes(60).toString('base64url');
    const base = { masterKeyId: 'mk-0', createdAt: new Date().toISOString() };
    await store.create({ ...base, keyId: 'k-gone', subject: 'L1', wrapped });
    await store.create({ ...base, keyId: 'k-kept', subject: 'L2', wrapped: kept });
    // Many more keys, so the page holding the forgotten one is written several times.
    for (let i = 0; i < 200; i += 1) {
      await store.create({
        ...base,
        keyId: `k${i}`,
        subject: `S${i}`,
        wrapped: `w${i}`.repeat(20),
      });
    }
    expect(rawBytes()).toContain(wrapped);

    expect(await store.forget('L1')).toBe(true);
    expect(rawBytes()).not.toContain(wrapped);
    expect(rawBytes()).toContain(kept);
    await store.close();
    expect(rawBytes()).not.toContain(wrapped);

    const reopened = new SqliteKeyStore(file);
    expect(await reopened.bySubject('L1')).toEqual({ kind: 'forgotten' });
    expect(await reopened.get('k-kept')).toMatchObject({ wrapped: kept });
    await reopened.close();
  });

  it('creates keys asked for together in one group, a forget asked after them last', async () => {
    const store = new SqliteKeyStore(file);
    const base = { masterKeyId: 'mk-0', createdAt: new Date().toISOString(), wrapped: 'w' };
    const created = Promise.all(
      [
        store.create({ ...base, keyId: 'k1', subject: 'L1' }),
        store.create({ ...base, keyId: 'k2', subject: 'L2' }),
        store.create({ ...base, keyId: 'k3', subject: 'L1' }),
        // The key id is taken: this one fails alone.
        store.create({ ...base, keyId: 'k2', subject: 'L3' }),
      ].map((p) =>
        p.then((k) => (k.kind === 'key' ? k.record.keyId : k.kind)).catch(() => 'error'),
      ),
    );
    const forgotten = store.forget('L2');
    expect(await created).toEqual(['k1', 'k2', 'k1', 'error']);
    expect(await forgotten).toBe(true);
    expect(await store.bySubject('L2')).toEqual({ kind: 'forgotten' });
    expect(await store.bySubject('L3')).toEqual({ kind: 'none' });
    await store.close();
  });

  it('leaves no old wrapping in the files after a rewrap and purge', async () => {
    const store = new SqliteKeyStore(file);
    const old = randomBytes(60).toString('base64url');
    await store.create({
      keyId: 'k1',
      subject: 'L1',
      masterKeyId: 'mk-old',
      wrapped: old,
      createdAt: new Date().toISOString(),
    });
    await store.rewrap('k1', 'mk-old', { masterKeyId: 'mk-new', wrapped: 'x'.repeat(80) });
    await store.purge();
    expect(rawBytes()).not.toContain(old);
    await store.close();
  });
});
