import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { AppendRecord } from '../observability/eventstore';
import type { Config } from './config';

/** What the projector thread tells the thread that started it. */
export type ProjectorMessage =
  | { kind: 'started' }
  | { kind: 'advanced' }
  | { kind: 'appended'; record: AppendRecord }
  | { kind: 'error'; error: unknown }
  | { kind: 'stopped' };

/** What the projector thread is told. */
export type ProjectorCommand = { kind: 'stop' };

export interface ProjectorThreadOptions {
  /** Checkpoints moved (wakes the follower's waiters). */
  onAdvance: () => void;
  /** The thread appended (SLA breaches, anchors): for the metrics of this thread. */
  onAppended?: (record: AppendRecord) => void;
  /** A projection, the SLA monitor or the thread itself failed (logged; the thread restarts). */
  onError: (error: unknown) => void;
  /** First wait before restarting a thread that died (ms; doubles up to 30 s). */
  restartDelayMs?: number;
}

export interface ProjectorThread {
  /** The thread that runs now (the first, or the one that replaced it). */
  readonly threadId: number;
  /** Stops the projections at a batch boundary and ends the thread. */
  stop(): Promise<void>;
}

/** How long `stop` waits for the thread to finish its batch and close its stores. */
const STOP_WAIT_MS = 30_000;
const MAX_RESTART_DELAY_MS = 30_000;

/**
 * The compiled thread entry beside this file, or undefined when running from the TypeScript
 * sources (jest): a worker thread cannot load those, and the projections run in the event loop.
 */
export const projectorThreadScript = (): string | undefined => {
  const script = join(__dirname, 'projector-thread-main.js');
  return __filename.endsWith('.js') && existsSync(script) ? script : undefined;
};

/**
 * Runs the projections, the SLA monitor and the anchorer in a worker thread of this process: a
 * projector as `leadledger project` is, on its own connections to the same stores, while the
 * event loop that serves the API only reads the read models (through a ProjectionFollower, woken
 * by `onAdvance`). A thread that dies is logged and started again, with a growing delay; the lag
 * it leaves shows in the projections' status and /readyz meanwhile. Resolves once the first
 * thread has started its projections (or rejects with why it could not).
 */
export const startProjectorThread = async (
  script: string,
  config: Config,
  options: ProjectorThreadOptions,
): Promise<ProjectorThread> => {
  let stopping = false;
  let delay = options.restartDelayMs ?? 1000;
  let restartTimer: NodeJS.Timeout | undefined;

  const launch = (): { worker: Worker; started: Promise<void>; exited: Promise<void> } => {
    const worker = new Worker(script, { workerData: { config } });
    let markStarted: () => void = () => undefined;
    let failStart: (error: unknown) => void = () => undefined;
    const started = new Promise<void>((resolve, reject) => {
      markStarted = resolve;
      failStart = reject;
    });
    let failure: unknown;
    worker.on('message', (message: ProjectorMessage) => {
      if (message.kind === 'advanced') options.onAdvance();
      else if (message.kind === 'appended') options.onAppended?.(message.record);
      else if (message.kind === 'started') {
        delay = options.restartDelayMs ?? 1000;
        markStarted();
      } else if (message.kind === 'error') options.onError(message.error);
    });
    worker.on('error', (error) => {
      failure = error;
      failStart(error);
    });
    const exited = new Promise<void>((resolve) => {
      worker.once('exit', (code) => {
        failStart(failure ?? new Error(`the projector thread exited with code ${code}`));
        resolve();
        if (stopping) return;
        options.onError(
          new Error(
            `the projector thread ended (${failure instanceof Error ? failure.message : `exit code ${code}`}); restarting in ${delay} ms`,
            { cause: failure },
          ),
        );
        restartTimer = setTimeout(() => {
          restartTimer = undefined;
          if (stopping) return;
          current = launch();
          current.started.catch(() => undefined);
        }, delay);
        delay = Math.min(delay * 2, MAX_RESTART_DELAY_MS);
      });
    });
    return { worker, started, exited };
  };

  let current = launch();
  try {
    await current.started;
  } catch (error) {
    stopping = true;
    await current.exited;
    throw error;
  }
  return {
    get threadId() {
      return current.worker.threadId;
    },
    async stop() {
      stopping = true;
      clearTimeout(restartTimer);
      const { worker, exited } = current;
      worker.postMessage({ kind: 'stop' } satisfies ProjectorCommand);
      const timer = setTimeout(() => void worker.terminate(), STOP_WAIT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
};
