import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppOptions } from '../../src/app/composition';
import { runCli } from '../../src/cli/main';
import type { Io, Output } from '../../src/cli/io';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const buffer = () => {
  let text = '';
  const out: Output = {
    write: (chunk: string) => {
      text += chunk;
      return true;
    },
  };
  return { out, text: () => text };
};

/** A command running in-process, with what it wrote so far and a way to ask it to stop. */
export interface RunningCli {
  done: Promise<CliResult>;
  stdout: () => string;
  stderr: () => string;
  stop: (signal?: string) => void;
}

export interface CliOptions {
  isTTY?: boolean;
  app?: AppOptions;
  progressEveryMs?: number;
}

export const startCli = (
  argv: string[],
  env: Record<string, string | undefined>,
  options: CliOptions = {},
): RunningCli => {
  const stdout = buffer();
  const stderr = buffer();
  const listeners = new Set<(signal: string) => void>();
  const io: Io = {
    stdout: stdout.out,
    stderr: stderr.out,
    env: { NODE_ENV: 'test', ...env },
    isTTY: options.isTTY ?? false,
    onStop: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    app: options.app,
    progressEveryMs: options.progressEveryMs,
  };
  const done = runCli(argv, io).then((code) => ({
    code,
    stdout: stdout.text(),
    stderr: stderr.text(),
  }));
  return {
    done,
    stdout: stdout.text,
    stderr: stderr.text,
    stop: (signal = 'SIGTERM') => {
      for (const listener of [...listeners]) listener(signal);
    },
  };
};

/** Runs a command to its end in-process. */
export const cli = (
  argv: string[],
  env: Record<string, string | undefined> = {},
  options: CliOptions = {},
): Promise<CliResult> => startCli(argv, env, options).done;

export const tempDir = (): { dir: string; remove: () => void } => {
  const dir = mkdtempSync(join(tmpdir(), 'leadledger-cli-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
};

/** Polls until `check` holds (or fails the test after `timeoutMs`). */
export const eventually = async (check: () => Promise<boolean> | boolean, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};
