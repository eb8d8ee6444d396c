import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, arch, totalmem } from 'node:os';
import { dirname } from 'node:path';

export type Cell = string | number;

/** Where a figure was measured: benchmark results are meaningless without it. */
export interface Machine {
  cpuModel: string;
  cpuCount: number;
  memoryGiB: number;
  node: string;
  os: string;
}

export const machine = (): Machine => {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cpuCount: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${platform()} ${release()} ${arch()}`,
  };
};

/** Thousands separators, no decimals: ops/s figures read at a glance. */
export const formatRate = (opsPerSec: number): string =>
  Math.round(opsPerSec).toLocaleString('en-US');

/** A plain-text table: numbers right-aligned, text left-aligned. */
export const formatTable = (header: string[], rows: Cell[][]): string => {
  const text = [header, ...rows].map((row) =>
    row.map((cell) => (typeof cell === 'number' ? formatRate(cell) : cell)),
  );
  const widths = header.map((_, i) => Math.max(...text.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => {
        const numeric = rows.some((r) => typeof r[i] === 'number');
        return numeric ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
      })
      .join('  ')
      .trimEnd();
  const [head, ...body] = text;
  return [line(head!), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
};

export const writeJson = (file: string, value: unknown): void => {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
};

const fail = (error: unknown): void => {
  console.error(error);
  process.exitCode = 1;
};

/**
 * The entry of a benchmark that forks itself to measure in a fresh process: `child <args>` runs
 * `child` and answers the parent over IPC (or prints JSON when run by hand); otherwise `main`.
 */
export const runBench = (
  main: () => Promise<void>,
  child: (args: string[]) => Promise<unknown>,
): void => {
  if (process.argv[2] !== 'child') {
    main().catch(fail);
    return;
  }
  child(process.argv.slice(3)).then((result) => {
    if (process.send) process.send(result, () => process.disconnect());
    else console.log(JSON.stringify(result));
  }, fail);
};
