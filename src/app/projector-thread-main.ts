import { parentPort, workerData } from 'node:worker_threads';
import { observeAppends } from '../observability/eventstore';
import { openApp, type App } from './composition';
import type { Config } from './config';
import type { ProjectorCommand, ProjectorMessage } from './projector-thread';

/**
 * The projector thread (see projector-thread.ts): the projections, the SLA monitor and the
 * anchorer of the server, on stores of their own, until told to stop.
 */
const port = parentPort;
if (!port) throw new Error('projector-thread-main runs as a worker thread');
const post = (message: ProjectorMessage) => port.postMessage(message);
const { config } = workerData as { config: Config };

/** Checkpoints move once per batch; one message per turn of the loop is enough to wake waiters. */
let advancePosted = false;
const advanced = () => {
  if (advancePosted) return;
  advancePosted = true;
  setImmediate(() => {
    advancePosted = false;
    post({ kind: 'advanced' });
  });
};

const reportError = (error: unknown) => {
  try {
    post({ kind: 'error', error });
  } catch {
    post({ kind: 'error', error: new Error(String(error)) });
  }
};

let app: App | undefined;
let stopping: Promise<void> | undefined;

const stop = (): Promise<void> =>
  (stopping ??= (async () => {
    await app?.close();
    post({ kind: 'stopped' });
    port.close();
  })());

port.on('message', (command: ProjectorCommand) => {
  if (command.kind === 'stop') stop().catch(reportError);
});

void (async () => {
  app = await openApp(config, {
    projections: true,
    runner: { onAdvance: advanced, onError: reportError },
    // Counted by the metrics of the thread that serves /metrics.
    instrumentEvents: (events) =>
      observeAppends(events, (record) => post({ kind: 'appended', record })),
  });
  if (stopping) return;
  await app.start();
  post({ kind: 'started' });
})().catch((error: unknown) => {
  // Thrown from the thread, it reaches the host as its 'error' event, then 'exit'.
  setImmediate(() => {
    throw error;
  });
});
