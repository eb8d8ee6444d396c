import { pino, type DestinationStream, type LevelWithSilent, type Logger } from 'pino';

export type { Logger } from 'pino';
export type LogLevel = LevelWithSilent;

/** The one-function sink the process and its tools pass around (main.ts, the CLI, tests). */
export type Log = (
  level: 'info' | 'warn' | 'error',
  message: string,
  fields?: Record<string, unknown>,
) => void;

/** Fields no line may carry even if a caller passes them: credentials. */
const REDACTED = [
  'authorization',
  'token',
  'password',
  'secret',
  '*.authorization',
  '*.token',
  '*.password',
  '*.secret',
  'headers.cookie',
];

/** JSON lines: `level` as a name, `time` as ISO-8601, `msg`, then the fields. */
export const createLogger = (destination: DestinationStream, level: LogLevel = 'info'): Logger =>
  pino(
    {
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED, censor: '[redacted]' },
    },
    destination,
  );

let root: Logger | undefined;

/** The process's logger: stderr, written synchronously so the last lines survive process.exit. */
export const rootLogger = (): Logger =>
  (root ??= createLogger(pino.destination({ fd: 2, sync: true })));

/** One JSON line per message on stderr, through the process's pino logger. */
export const jsonLog: Log = (level, message, fields = {}) => rootLogger()[level](fields, message);

const LOG_LEVEL_OF: Record<string, Parameters<Log>[0]> = {
  warn: 'warn',
  error: 'error',
  fatal: 'error',
};

/** A pino logger whose lines go to a `Log` function (what `serve({ log })` callers pass). */
export const loggerFromLog = (log: Log, level: LogLevel = 'info'): Logger =>
  createLogger(
    {
      write(line: string) {
        const {
          level: name,
          msg,
          time: _time,
          pid: _pid,
          hostname: _host,
          ...fields
        } = JSON.parse(line) as Record<string, unknown>;
        log(LOG_LEVEL_OF[String(name)] ?? 'info', typeof msg === 'string' ? msg : '', fields);
      },
    },
    level,
  );
