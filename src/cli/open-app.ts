import { openApp, type App, type AppOptions } from '../app/composition';
import { loadConfig, type Config } from '../app/config';
import { errorMessage, type Io } from './io';

/** The configuration from the command's environment; a `ConfigError` ends the command (exit 1). */
export const configOf = (io: Io): Config => loadConfig(io.env);

/** The stores were not reachable: one line, exit 1. */
export class StoreUnreachableError extends Error {
  override readonly name = 'StoreUnreachableError';
}

/** Options for `openApp`: the command's own over the io's (tests inject clocks and delays). */
export const appOptions = (io: Io, options: AppOptions = {}): AppOptions => ({
  ...io.app,
  ...options,
  runner: { ...io.app?.runner, ...options.runner },
});

/**
 * Opens the stores through the composition root (the one place that picks adapters) and checks
 * the event store answers, so an unreachable store fails here with one clear line.
 */
export const openStores = async (
  io: Io,
  config: Config,
  options: AppOptions = {},
): Promise<App> => {
  let app: App;
  try {
    app = await openApp(config, appOptions(io, options));
  } catch (error) {
    throw new StoreUnreachableError(`cannot open the stores: ${errorMessage(error)}`);
  }
  try {
    await app.events.headPosition();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw new StoreUnreachableError(`the event store is unreachable: ${errorMessage(error)}`);
  }
  return app;
};

/** Runs `work` on the opened stores and closes them whatever happens. */
export const withStores = async <T>(
  io: Io,
  config: Config,
  options: AppOptions,
  work: (app: App) => Promise<T>,
): Promise<T> => {
  const app = await openStores(io, config, options);
  try {
    return await work(app);
  } finally {
    await app.close();
  }
};
