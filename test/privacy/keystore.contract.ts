import { randomBytes, randomUUID } from 'node:crypto';
import type { KeyRecord, KeyStore } from '../../src/privacy/keystore/port';

export interface KeyStoreFixture {
  store: KeyStore;
  cleanup: () => Promise<void>;
}

const record = (subject: string, keyId = randomBytes(12).toString('base64url')): KeyRecord => ({
  keyId,
  subject,
  masterKeyId: 'mk-0000000000000000',
  wrapped: randomBytes(60).toString('base64url'),
  createdAt: new Date().toISOString(),
});

/** The behaviour every KeyStore adapter must show; run once per adapter. */
export const keyStoreContract = (name: string, factory: () => Promise<KeyStoreFixture>): void => {
  describe(`KeyStore contract: ${name}`, () => {
    let fixture: KeyStoreFixture;
    let store: KeyStore;
    /** Subjects unique per test: the MongoDB run shares one database per suite. */
    let lead: (n: number) => string;

    beforeAll(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterAll(async () => {
      await fixture.cleanup();
    });
    beforeEach(() => {
      const run = randomUUID().slice(0, 8);
      lead = (n) => `L${n}-${run}`;
    });

    it('stores a subject key and finds it by key id and by subject', async () => {
      const key = record(lead(1));
      expect(await store.bySubject(lead(1))).toEqual({ kind: 'none' });
      expect(await store.create(key)).toEqual({ kind: 'key', record: key });
      expect(await store.get(key.keyId)).toEqual(key);
      expect(await store.bySubject(lead(1))).toEqual({ kind: 'key', record: key });
      expect(await store.get('no-such-key')).toBeUndefined();
    });

    it('keeps one key per subject: a second create gets the first key back', async () => {
      const first = record(lead(1));
      await store.create(first);
      expect(await store.create(record(lead(1)))).toEqual({ kind: 'key', record: first });
    });

    it('gives every concurrent creator the same key', async () => {
      const results = await Promise.all(
        Array.from({ length: 6 }, () => store.create(record(lead(1)))),
      );
      const ids = new Set(results.map((r) => (r.kind === 'key' ? r.record.keyId : r.kind)));
      expect(ids.size).toBe(1);
      const stored = await store.bySubject(lead(1));
      expect(stored.kind === 'key' && ids.has(stored.record.keyId)).toBe(true);
    });

    it('forgets a subject for good: key deleted, no new key, idempotent', async () => {
      const key = record(lead(1));
      const other = record(lead(2));
      await store.create(key);
      await store.create(other);
      expect(await store.forget(lead(1))).toBe(true);
      expect(await store.get(key.keyId)).toBeUndefined();
      expect(await store.bySubject(lead(1))).toEqual({ kind: 'forgotten' });
      expect(await store.create(record(lead(1)))).toEqual({ kind: 'forgotten' });
      expect(await store.bySubject(lead(1))).toEqual({ kind: 'forgotten' });
      expect(await store.forget(lead(1))).toBe(false);
      // A subject that never had a key can be forgotten too (an erasure before any PII).
      expect(await store.forget(lead(3))).toBe(false);
      expect(await store.create(record(lead(3)))).toEqual({ kind: 'forgotten' });
      expect(await store.get(other.keyId)).toEqual(other);
    });

    it('lists keys in key id order, page by page', async () => {
      const mine = await Promise.all(
        [1, 2, 3, 4, 5].map(async (n) => {
          const key = record(lead(n));
          await store.create(key);
          return key.keyId;
        }),
      );
      const seen: string[] = [];
      let after = '';
      for (;;) {
        const page = await store.list(after, 2);
        if (page.length === 0) break;
        expect(page.length).toBeLessThanOrEqual(2);
        seen.push(...page.map((r) => r.keyId));
        after = page.at(-1)!.keyId;
      }
      expect(seen).toEqual([...seen].sort());
      expect(seen).toEqual(expect.arrayContaining(mine));
    });

    it('rewraps only a key still wrapped by the expected master key', async () => {
      const key = record(lead(1));
      await store.create(key);
      const next = { masterKeyId: 'mk-1111111111111111', wrapped: 'new-wrapping' };
      expect(await store.rewrap(key.keyId, 'mk-other', next)).toBe(false);
      expect(await store.rewrap(key.keyId, key.masterKeyId, next)).toBe(true);
      expect(await store.get(key.keyId)).toEqual({ ...key, ...next });
      expect(await store.rewrap(key.keyId, key.masterKeyId, next)).toBe(false);
      expect(await store.rewrap('no-such-key', key.masterKeyId, next)).toBe(false);
      await store.purge();
    });

    it('keeps named checkpoints', async () => {
      const name = `follower-${lead(0)}`;
      expect(await store.readCheckpoint(name)).toBeUndefined();
      await store.writeCheckpoint(name, '0000000000000007');
      await store.writeCheckpoint(name, '0000000000000009');
      expect(await store.readCheckpoint(name)).toBe('0000000000000009');
    });
  });
};
