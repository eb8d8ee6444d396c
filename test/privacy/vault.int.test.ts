import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { EventStore, StoredEvent } from '../../src/eventstore/port';
import { SqliteEventStore } from '../../src/eventstore/sqlite';
import { ErasureFollower } from '../../src/privacy/erasure-follower';
import { SqliteKeyStore } from '../../src/privacy/keystore/sqlite';
import { MasterKeys } from '../../src/privacy/master-keys';
import { rotateMasterKey } from '../../src/privacy/rotation';
import { SealedValueError } from '../../src/privacy/sealed-value';
import type { PiiVault } from '../../src/privacy/vault';
import { createPiiVault, sealedStore, SubjectForgottenError } from '../../src/privacy/vault';
import { eventStoreContract, newEvent } from '../contract/eventstore.contract';

const SEALED = /^pii:v1:[A-Za-z0-9_-]+:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$/;

eventStoreContract(
  'SQLite behind the PII vault',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'leadledger-vault-'));
    const file = join(dir, 'events.db');
    const store = createPiiVault(
      new SqliteEventStore(file, { pollIntervalMs: 20 }),
      new SqliteKeyStore(join(dir, 'keys.db')),
      MasterKeys.fromBytes(randomBytes(32)),
    );
    return Promise.resolve({
      store,
      tamper: (streamId, revision) => {
        const db = new Database(file);
        db.prepare(
          `UPDATE events SET data = json_set(data, '$.amount', 1000000) WHERE stream_id = ? AND revision = ?`,
        ).run(streamId, revision);
        db.close();
        return Promise.resolve();
      },
      cleanup: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    });
  },
  { tamper: true },
);

const captured = (leadId: string, email = `${leadId.toLowerCase()}@example.com`) =>
  newEvent('LeadCaptured', {
    leadId,
    email,
    name: `Name of ${leadId}`,
    company: null,
    segment: 'SMB',
    channel: 'WEBINAR',
    campaignId: 'spring',
  });

const collect = async (events: AsyncIterable<StoredEvent>) => {
  const out: StoredEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
};

describe('the PII vault over the SQLite event store', () => {
  let dir: string;
  let inner: SqliteEventStore;
  let keyStore: SqliteKeyStore;
  let master: MasterKeys;
  let vault: PiiVault;

  const open = (m: MasterKeys) => {
    inner = new SqliteEventStore(join(dir, 'events.db'), { pollIntervalMs: 20 });
    keyStore = new SqliteKeyStore(join(dir, 'keys.db'));
    vault = createPiiVault(inner, keyStore, m);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'leadledger-vault-'));
    master = MasterKeys.fromBytes(randomBytes(32));
    open(master);
  });
  afterEach(async () => {
    await vault.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores PII fields sealed, reads them back opened everywhere, and hashes the ciphertext', async () => {
    await vault.append('lead-L1', [captured('L1')], { expectedRevision: 'NO_STREAM' });
    await vault.append(
      'lead-L1',
      [
        newEvent('HandoffRejected', {
          leadId: 'L1',
          handoffId: 'h1',
          repId: 'rex',
          reason: 'OTHER',
          note: 'talked to l1@example.com',
        }),
      ],
      { expectedRevision: 0 },
    );
    await vault.append('deal-D1', [newEvent('DealOpened', { dealId: 'D1', account: 'Acme' })], {
      expectedRevision: 'NO_STREAM',
    });

    const [raw, rawNote] = await inner.readStream('lead-L1');
    const data = raw!.data as Record<string, unknown>;
    expect(data.email).toMatch(SEALED);
    expect(data.name).toMatch(SEALED);
    expect(data.company).toBeNull();
    expect(data).toMatchObject({ leadId: 'L1', segment: 'SMB', campaignId: 'spring' });
    expect((rawNote!.data as { note: string }).note).toMatch(SEALED);
    expect((rawNote!.data as { reason: string }).reason).toBe('OTHER');
    expect((await inner.readStream('deal-D1'))[0]!.data).toEqual({
      dealId: 'D1',
      account: 'Acme',
    });

    const expected = { email: 'l1@example.com', name: 'Name of L1', company: null };
    const [event, note] = await vault.readStream('lead-L1');
    expect(event!.data).toMatchObject(expected);
    expect(note!.data).toMatchObject({ note: 'talked to l1@example.com' });
    expect(event!.metadata.hash).toBe(raw!.metadata.hash);
    expect((await collect(vault.readAll()))[0]!.data).toMatchObject(expected);
    const subscription = vault.subscribe({ eventTypes: ['LeadCaptured'] });
    for await (const live of subscription) {
      expect(live.data).toMatchObject(expected);
      break;
    }
    await subscription.close();
    expect(await vault.verify('lead-L1')).toMatchObject({ ok: true, eventsChecked: 2 });
    expect(sealedStore(vault)).toBe(inner);
  });

  it('reads a forgotten lead with null PII, its chain and hashes intact, other leads untouched', async () => {
    await vault.append('lead-L1', [captured('L1')], { expectedRevision: 'NO_STREAM' });
    await vault.append('lead-L2', [captured('L2')], { expectedRevision: 'NO_STREAM' });
    const before = await inner.readStream('lead-L1');

    await vault.append('lead-L1', [newEvent('LeadForgotten', { leadId: 'L1', reason: 'GDPR-7' })], {
      expectedRevision: 0,
    });

    const [event, forgotten] = await vault.readStream('lead-L1');
    expect(event!.data).toMatchObject({ leadId: 'L1', email: null, name: null, segment: 'SMB' });
    expect(forgotten!.data).toEqual({ leadId: 'L1', reason: 'GDPR-7' });
    expect((await vault.readStream('lead-L2'))[0]!.data).toMatchObject({
      email: 'l2@example.com',
    });
    const after = await inner.readStream('lead-L1');
    expect(after[0]).toEqual(before[0]);
    expect(await vault.verify('lead-L1')).toMatchObject({ ok: true, eventsChecked: 2 });
    expect(await keyStore.bySubject('L1')).toEqual({ kind: 'forgotten' });

    // After a restart too: nothing in memory brings the key back.
    await vault.close();
    open(master);
    expect((await vault.readStream('lead-L1'))[0]!.data).toMatchObject({ email: null });
    await expect(
      vault.append('lead-L1', [captured('L1')], { expectedRevision: 1 }),
    ).rejects.toBeInstanceOf(SubjectForgottenError);
    expect(await inner.readStream('lead-L1')).toHaveLength(2);
  });

  it('refuses a sealed value moved into another lead or field', async () => {
    await vault.append('lead-L1', [captured('L1')], { expectedRevision: 'NO_STREAM' });
    const [raw] = await inner.readStream('lead-L1');
    const { email, name } = raw!.data as { email: string; name: string };
    // Written behind the vault's back, as an attacker with write access to the log could.
    await inner.append(
      'lead-L2',
      [newEvent('LeadCaptured', { ...(raw!.data as object), leadId: 'L2' })],
      { expectedRevision: 'NO_STREAM' },
    );
    await expect(vault.readStream('lead-L2')).rejects.toBeInstanceOf(SealedValueError);
    await inner.append(
      'lead-L1',
      [newEvent('HandoffRejected', { leadId: 'L1', note: email, reason: 'OTHER' })],
      { expectedRevision: 0 },
    );
    await expect(vault.readStream('lead-L1')).rejects.toThrow(/position .*note/);
    expect(name).toMatch(SEALED);
  });

  it('rotates the master key without touching the events: the old master can go', async () => {
    for (const id of ['L1', 'L2', 'L3']) {
      await vault.append(`lead-${id}`, [captured(id)], { expectedRevision: 'NO_STREAM' });
    }
    await vault.append('lead-L3', [newEvent('LeadForgotten', { leadId: 'L3', reason: 'GDPR' })], {
      expectedRevision: 0,
    });
    const hashes = async () => (await collect(inner.readAll())).map((e) => e.metadata.hash);
    const before = await hashes();

    const newKey = randomBytes(32);
    const rotating = MasterKeys.fromBytes(newKey, [master.current.key]);
    const report = await rotateMasterKey(keyStore, rotating, { pageSize: 1 });
    expect(report).toEqual({ rewrapped: 2, alreadyCurrent: 0, skipped: 0, unwrappable: [] });
    expect(await rotateMasterKey(keyStore, rotating)).toMatchObject({
      rewrapped: 0,
      alreadyCurrent: 2,
    });
    for (const record of await keyStore.list('', 10)) {
      expect(record.masterKeyId).toBe(rotating.current.id);
    }

    await vault.close();
    open(MasterKeys.fromBytes(newKey));
    expect((await vault.readStream('lead-L1'))[0]!.data).toMatchObject({ email: 'l1@example.com' });
    expect((await vault.readStream('lead-L2'))[0]!.data).toMatchObject({ email: 'l2@example.com' });
    expect((await vault.readStream('lead-L3'))[0]!.data).toMatchObject({ email: null });
    expect(await hashes()).toEqual(before);
    for (const id of ['L1', 'L2', 'L3']) {
      expect(await vault.verify(`lead-${id}`)).toMatchObject({ ok: true });
    }
  });

  it('reports keys whose master key is missing instead of losing them', async () => {
    await vault.append('lead-L1', [captured('L1')], { expectedRevision: 'NO_STREAM' });
    const stranger = MasterKeys.fromBytes(randomBytes(32));
    const report = await rotateMasterKey(keyStore, stranger);
    expect(report.unwrappable).toHaveLength(1);
    await vault.close();
    open(stranger);
    await expect(vault.readStream('lead-L1')).rejects.toThrow(/MASTER_KEY_PREVIOUS/);
  });

  it('the erasure follower finishes an erasure and clears other processes’ cached keys', async () => {
    await vault.append('lead-L1', [captured('L1')], { expectedRevision: 'NO_STREAM' });
    // A second process on the same stores, with the key in its cache.
    const other = createPiiVault(
      new SqliteEventStore(join(dir, 'events.db'), { pollIntervalMs: 20 }),
      new SqliteKeyStore(join(dir, 'keys.db')),
      master,
      { ttlMs: 3_600_000 },
    );
    const otherInner: EventStore = sealedStore(other);
    expect((await other.readStream('lead-L1'))[0]!.data).toMatchObject({ email: 'l1@example.com' });
    const follower = new ErasureFollower(otherInner, other.keys, { retryDelayMs: 20 });
    follower.start();
    try {
      // The erasure recorded as if the process that wrote it stopped before deleting the key.
      await inner.append('lead-L1', [newEvent('LeadForgotten', { leadId: 'L1', reason: 'x' })], {
        expectedRevision: 0,
      });
      const deadline = Date.now() + 5000;
      while ((await keyStore.bySubject('L1')).kind !== 'forgotten' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(await keyStore.bySubject('L1')).toEqual({ kind: 'forgotten' });
      expect((await other.readStream('lead-L1'))[0]!.data).toMatchObject({ email: null });
      expect(await keyStore.readCheckpoint('erasures')).toBe(
        (await inner.readStream('lead-L1'))[1]!.position,
      );
    } finally {
      await follower.stop();
      await other.close();
    }
  });
});
