import type { AppOptions } from '../app/composition';

/** Where a command writes: `process.stdout`, a file stream, or a test's buffer. */
export interface Output {
  write(chunk: string): boolean;
  once?(event: 'drain', listener: () => void): unknown;
}

/** Exit codes, as `leadledger --help` documents them. */
export const EXIT = {
  OK: 0,
  /** Store unreachable, bad configuration, unexpected error. */
  FAILURE: 1,
  USAGE: 2,
  /** A hash chain does not verify. */
  VERIFICATION_FAILED: 3,
} as const;

/**
 * What a command may touch of its process, so tests run commands in-process: output streams,
 * the environment (configuration), whether stderr is a terminal (progress bars), and stop
 * requests (SIGTERM/SIGINT for the process).
 */
export interface Io {
  stdout: Output;
  stderr: Output;
  env: Record<string, string | undefined>;
  /** stderr is a terminal: progress bars redraw in place; otherwise plain periodic lines. */
  isTTY: boolean;
  /** Calls `listener` once when the process is asked to stop; returns a function that unsubscribes. */
  onStop(listener: (signal: string) => void): () => void;
  /** Passed to `openApp` (tests: a fixed clock, short runner delays). */
  app?: AppOptions;
  /** How often plain progress lines are written when stderr is not a terminal (ms). */
  progressEveryMs?: number;
}

/** Refused command line: exit 2 with this one line. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Writes, waiting for the stream to drain when it asks for it (large exports). */
export const writeTo = (out: Output, chunk: string): Promise<void> | undefined => {
  if (out.write(chunk) || !out.once) return undefined;
  return new Promise((resolve) => out.once!('drain', resolve));
};

export type LogLevel = 'info' | 'warn' | 'error';
export type Log = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

/** JSON lines, as the server logs them: what long-running commands (serve, project) write. */
export const jsonLines =
  (out: Output): Log =>
  (level, message, fields = {}) => {
    out.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);
  };

/**
 * A turn of the event loop: embedded stores answer synchronously, so long loops take one now and
 * then to let timers and signals (a stop request) in.
 */
export const turnOfTheLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Resolves on the first stop request. */
export const stopRequested = (io: Io): Promise<string> =>
  new Promise((resolve) => {
    const off = io.onStop((signal) => {
      off();
      resolve(signal);
    });
  });

/** An error's message (also of errors from another realm, which fail `instanceof Error`). */
export const errorMessage = (error: unknown): string =>
  typeof error === 'object' && error !== null && typeof (error as Error).message === 'string'
    ? (error as Error).message
    : String(error);
