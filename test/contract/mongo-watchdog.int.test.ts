import { randomUUID } from 'node:crypto';
import { MongoClient, type ServerHeartbeatStartedEvent } from 'mongodb';
import { watchMonitor } from '../../src/readstore/mongo-watchdog';
import { recordRan, recordSkip } from '../support/skips';

const uri = process.env.MONGODB_URI;
if (!uri) recordSkip('MongoDB monitor watchdog', 'MONGODB_URI is unset');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** What the driver emits when its monitor begins a heartbeat; this one never ends. */
const hangingHeartbeat = { connectionId: 'hung:1', awaited: false } as ServerHeartbeatStartedEvent;

/**
 * The hang itself (a heartbeat begun as the server closed the connection, never answered nor
 * timed out) depends on timing inside the driver; the fault test that found it stops FerretDB
 * under load (test/fault/ferretdb-outage). Here a heartbeat that never ends is announced the
 * way the driver announces one, and the client must come back working from the real server.
 */
(uri ? describe : describe.skip)('MongoDB monitor watchdog', () => {
  const database = `leadledger_watchdog_${randomUUID().slice(0, 8)}`;
  let client: MongoClient;

  beforeAll(() => recordRan('MongoDB monitor watchdog'));
  beforeEach(async () => {
    client = new MongoClient(uri!, { serverSelectionTimeoutMS: 5000 });
    await client.connect();
  });
  afterEach(async () => {
    await client
      .db(database)
      .dropDatabase()
      .catch(() => undefined);
    await client.close();
  });

  it('reconnects a client whose heartbeat hangs, and the client works again', async () => {
    const docs = client.db(database).collection<{ _id: string; n: number }>('docs');
    await docs.insertOne({ _id: 'a', n: 1 });
    const restarts: number[] = [];
    let opened = 0;
    client.on('topologyOpening', () => (opened += 1));
    const stop = watchMonitor(client, { stuckAfterMs: 300, onRestart: (ms) => restarts.push(ms) });
    try {
      client.emit('serverHeartbeatStarted', hangingHeartbeat);
      const deadline = Date.now() + 5000;
      while ((restarts.length === 0 || opened === 0) && Date.now() < deadline) await sleep(20);
      expect(restarts).toHaveLength(1);
      expect(restarts[0]).toBeGreaterThanOrEqual(300);
      expect(opened).toBe(1);
      expect(await docs.findOne({ _id: 'a' })).toEqual({ _id: 'a', n: 1 });
      // Its heartbeats end normally now: no further restart.
      await sleep(600);
      expect(restarts).toHaveLength(1);
    } finally {
      stop();
    }
  });

  it('stops watching once the owner closes the client', async () => {
    const restarts: number[] = [];
    watchMonitor(client, { stuckAfterMs: 100, onRestart: (ms) => restarts.push(ms) });
    client.emit('serverHeartbeatStarted', hangingHeartbeat);
    await client.close();
    await sleep(400);
    expect(restarts).toEqual([]);
    await expect(client.db(database).collection('docs').findOne({})).rejects.toThrow(
      /must be connected/,
    );
    await client.connect(); // for afterEach
  });
});
