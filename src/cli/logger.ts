import type { Config } from '../app/config';
import { createLogger, type Logger } from '../observability/logger';
import type { Io } from './io';

/**
 * The JSON-lines logger of the long-running commands (serve, project, sla-monitor): the
 * server's format and LOG_LEVEL, on the command's stderr.
 */
export const commandLogger = (io: Io, config: Config): Logger =>
  createLogger(io.stderr, config.LOG_LEVEL);
