import { ConfigError } from '../app/config';
import * as exportCommand from './commands/export';
import * as project from './commands/project';
import * as rebuild from './commands/rebuild';
import * as rotateMasterKey from './commands/rotate-master-key';
import * as seed from './commands/seed';
import * as serve from './commands/serve';
import * as slaMonitor from './commands/sla-monitor';
import * as status from './commands/status';
import * as verify from './commands/verify';
import { jsonLog } from '../observability/logger';
import { errorMessage, EXIT, UsageError, type Io } from './io';
import { StoreUnreachableError } from './open-app';

interface Command {
  summary: string;
  run(args: string[], io: Io): Promise<number>;
}

export const COMMANDS: Record<string, Command> = {
  serve,
  project,
  rebuild,
  verify,
  seed,
  'sla-monitor': slaMonitor,
  export: exportCommand,
  status,
  'rotate-master-key': rotateMasterKey,
};

const SHUTDOWN_DEADLINE_MS = 30_000;

const usage = (program: string) => {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const list = Object.entries(COMMANDS)
    .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
    .join('\n');
  return `Usage: ${program} <command> [options]

Lead Ledger: the event-sourced record marketing and sales work from.

Commands:
${list}

Run \`${program} <command> --help\` (or \`${program} help <command>\`) for a command's options.

Configuration comes from the environment, as for \`npm start\`: DATA_DIR (embedded SQLite
stores, default ./data), EVENTSTORE_URL, MONGODB_URI, PORT, JWT_SECRET, ... (see the README).

Exit codes:
  0  done
  1  failure: bad configuration, store unreachable, unexpected error (one line on stderr;
     DEBUG=1 adds the stack)
  2  usage error
  3  verification failed (verify: a hash chain or an export line does not check out)
`;
};

/** Runs one command line in-process and gives its exit code; errors become one stderr line. */
export const runCli = async (argv: string[], io: Io, program = 'leadledger'): Promise<number> => {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr.write(usage(program));
    return EXIT.USAGE;
  }
  if (first === '--help' || first === '-h') {
    io.stdout.write(usage(program));
    return EXIT.OK;
  }
  let name = first;
  let args = rest;
  if (first === 'help') {
    if (rest[0] === undefined) {
      io.stdout.write(usage(program));
      return EXIT.OK;
    }
    name = rest[0];
    args = ['--help'];
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.stderr.write(
      `${program}: unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')}; see ${program} --help)\n`,
    );
    return EXIT.USAGE;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${program} ${name}: ${error.message} (see ${program} ${name} --help)\n`);
      return EXIT.USAGE;
    }
    const known = error instanceof ConfigError || error instanceof StoreUnreachableError;
    io.stderr.write(`${program}: ${errorMessage(error).split('\n')[0]}\n`);
    const stack = (error as { stack?: unknown } | null)?.stack;
    if (!known && io.env.DEBUG === '1' && typeof stack === 'string') {
      io.stderr.write(`${stack}\n`);
    }
    return EXIT.FAILURE;
  }
};

/**
 * The process around a command: real streams and environment; SIGTERM and SIGINT ask the
 * command to stop, a second signal exits at once, and a stop that takes longer than 30 s exits.
 */
export const runProcess = (argv: string[], program = 'leadledger'): void => {
  const listeners = new Set<(signal: string) => void>();
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping || listeners.size === 0) {
      if (stopping) jsonLog('warn', `${signal} again: exiting now`);
      process.exit(EXIT.FAILURE);
    }
    stopping = true;
    // A stuck store must not keep the process alive forever.
    setTimeout(() => {
      jsonLog('error', `shutdown took longer than ${SHUTDOWN_DEADLINE_MS} ms: exiting`);
      process.exit(EXIT.FAILURE);
    }, SHUTDOWN_DEADLINE_MS).unref();
    for (const listener of [...listeners]) listener(signal);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  // A reader that went away (`leadledger export | head`) ends the command.
  process.stdout.on('error', () => {
    process.exit(EXIT.FAILURE);
  });
  const io: Io = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    isTTY: Boolean(process.stderr.isTTY),
    onStop: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  runCli(argv, io, program).then(
    // Everything written first, then exit: handles left open by a library must not hang us.
    (code) => process.stdout.write('', () => process.exit(code)),
    (error: unknown) => {
      process.stderr.write(`${program}: ${errorMessage(error)}\n`);
      process.exit(EXIT.FAILURE);
    },
  );
};

if (require.main === module) runProcess(process.argv.slice(2));
