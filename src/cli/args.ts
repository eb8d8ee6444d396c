import { parseArgs, type ParseArgsConfig } from 'node:util';
import { errorMessage, UsageError, type Io } from './io';

/** Every command takes `--help`. */
export const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/** A command's options; `options` must include `HELP`. */
export type CommandLine = Omit<ParseArgsConfig, 'args' | 'strict'> & {
  options: typeof HELP & NonNullable<ParseArgsConfig['options']>;
};

export type Parsed<C extends CommandLine> = ReturnType<
  typeof parseArgs<C & { args: string[]; strict: true }>
>;

/**
 * Parses a command's arguments strictly; `--help` prints `help` and gives `undefined` (the
 * command then exits 0). Anything refused is a one-line `UsageError`.
 */
export const parseCommand = <C extends CommandLine>(
  help: string,
  line: C,
  args: string[],
  io: Io,
): Parsed<C> | undefined => {
  let parsed: Parsed<C>;
  try {
    parsed = parseArgs({ ...line, args, strict: true as const });
  } catch (error) {
    // Node's messages may span lines and advise on `--`: the first sentence is enough here.
    const first = errorMessage(error).split('\n')[0]!;
    throw new UsageError(first.replace(/\.? To specify a positional.*$/, ''));
  }
  if ((parsed.values as { help?: boolean }).help) {
    io.stdout.write(help.endsWith('\n') ? help : `${help}\n`);
    return undefined;
  }
  return parsed;
};

/** A whole-number option within bounds, or a usage error naming it. */
export const integerOption = (
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`);
  }
  return n;
};
