import { ConfigError, loadConfig } from './app/config';
import { jsonLog, serve } from './server/serve';

const SHUTDOWN_DEADLINE_MS = 30_000;

/** `npm start`: the API on the configured stores (embedded SQLite by default). */
const main = async () => {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`lead-ledger: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const running = await serve(config);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) {
      jsonLog('warn', `${signal} again: exiting now`);
      process.exit(1);
    }
    closing = true;
    jsonLog('info', `${signal}: shutting down`);
    // A stuck store must not keep the process alive forever.
    setTimeout(() => {
      jsonLog('error', `shutdown took longer than ${SHUTDOWN_DEADLINE_MS} ms: exiting`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        jsonLog('error', 'shutdown failed', { error: String(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
};

main().catch((error: unknown) => {
  jsonLog('error', 'failed to start', {
    error: error instanceof Error ? error.message : String(error),
  });
  process.exit(1);
});
