import { Worker } from 'node:worker_threads';

/** How often the worker copies the write-ahead log back into the database file (ms). */
const DEFAULT_INTERVAL_MS = 50;

/**
 * Runs in the worker: its own connection to the file, a PASSIVE checkpoint every interval.
 * PASSIVE never waits and never blocks readers or writers: it copies what no reader still needs
 * and fsyncs the database file, all off the main thread. Plain JS, evaluated: it runs the same
 * from the build and from the TypeScript sources.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const timer = setInterval(() => {
  try { checkpoint.run(); } catch { /* busy or gone: the next tick tries again */ }
}, workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  try { db.close(); } catch {}
  parentPort.close();
});
`;

export interface WalCheckpointer {
  /** Stops it once its current round is done, its connection closed. */
  stop(): Promise<void>;
}

export interface WalCheckpointerOptions {
  intervalMs?: number;
  /** It stopped unasked (could not open the file, crashed): the connections must checkpoint. */
  onFail?: () => void;
}

/**
 * Checkpoints a SQLite file in WAL mode from a worker thread, so that the connections of the
 * main thread rarely reach their automatic checkpoint (copying pages and two fsyncs inside a
 * COMMIT, on the event loop). Durability is unchanged: commits are in the WAL either way, and a
 * checkpoint is the same SQLite operation wherever it runs; the connections keep their automatic
 * checkpoint as a backstop should the worker fall behind. Used by the embedded event store (in
 * the server) and read store.
 */
export const startWalCheckpointer = (
  file: string,
  { intervalMs = DEFAULT_INTERVAL_MS, onFail }: WalCheckpointerOptions = {},
): WalCheckpointer => {
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { file, intervalMs, driver: require.resolve('better-sqlite3') },
  });
  let stopping = false;
  // The process may end without stopping it (a CLI command): it never holds the process open.
  worker.unref();
  worker.on('error', () => undefined);
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      if (!stopping) onFail?.();
      resolve();
    }),
  );
  return {
    async stop() {
      stopping = true;
      worker.ref(); // held open until it has closed its connection
      worker.postMessage('stop');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
      await worker.terminate();
    },
  };
};
