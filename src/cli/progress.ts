import type { Io } from './io';

/** Long work's progress on stderr: a bar redrawn in place on a terminal, else a line now and then. */
export interface Progress {
  /** `total` undefined: not known (a count, no bar). */
  update(done: number, total?: number, detail?: string): void;
  /** Ends the bar's line (terminal); nothing otherwise: the command prints its summary. */
  finish(): void;
}

const REDRAW_MS = 100;
const PLAIN_EVERY_MS = 5_000;
const WIDTH = 24;

export const formatCount = (n: number): string => n.toLocaleString('en-US');

export interface ProgressOptions {
  /** Show `done/total` after the percentage (false: the total is a scale, not a count). */
  counts?: boolean;
  now?: () => number;
}

const describer =
  (counts: boolean) => (done: number, total: number | undefined, detail: string | undefined) => {
    const share = total ? Math.min(1, done / total) : undefined;
    const numbers = !counts
      ? ''
      : total === undefined
        ? formatCount(done)
        : `${formatCount(done)}/${formatCount(total)}`;
    const percent = share === undefined ? '' : `${Math.floor(share * 100)}%`.padStart(4);
    const text = [percent, numbers, detail ?? ''].filter((part) => part !== '').join('  ');
    return { share, text };
  };

export const progressBar = (io: Io, label: string, options: ProgressOptions = {}): Progress => {
  const now = options.now ?? Date.now;
  const describe = describer(options.counts ?? true);
  let last = -Infinity;
  let drawn = false;
  if (io.isTTY) {
    let latest = '';
    const draw = (line: string) => {
      io.stderr.write(`\r${line}\u001b[K`);
      drawn = true;
    };
    return {
      update(done, total, detail) {
        const { share, text } = describe(done, total, detail);
        const filled = share === undefined ? 0 : Math.round(share * WIDTH);
        const bar =
          share === undefined ? '' : `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] `;
        latest = `${label} ${bar}${text}`;
        if (now() - last < REDRAW_MS && share !== 1) return;
        last = now();
        draw(latest);
      },
      finish() {
        if (latest !== '') draw(latest);
        if (drawn) io.stderr.write('\n');
        drawn = false;
      },
    };
  }
  const every = io.progressEveryMs ?? PLAIN_EVERY_MS;
  return {
    update(done, total, detail) {
      if (now() - last < every) return;
      // The first line waits a full period: short work prints only its summary.
      if (last === -Infinity) {
        last = now();
        return;
      }
      last = now();
      io.stderr.write(`${label}: ${describe(done, total, detail).text.trim()}\n`);
    },
    finish() {},
  };
};
