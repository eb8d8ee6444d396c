import type { MongoClient, ServerHeartbeatStartedEvent } from 'mongodb';

export interface MonitorWatchdogOptions {
  /** A heartbeat outstanding this long is stuck (the driver times its own out far sooner). */
  stuckAfterMs: number;
  /** Told once per restart of the client, with how long the heartbeat had been outstanding. */
  onRestart?: (stuckMs: number) => void;
  /** Told when reconnecting failed (tried again at the next check). */
  onError?: (error: unknown) => void;
}

/**
 * Restarts a client whose server monitor hangs. The driver's monitor checks the server one
 * heartbeat at a time; we saw one heartbeat begun just as the server closed the connection (a
 * FerretDB stopped under load) never end, neither answered nor timed out, so the monitor never
 * checked again and every operation failed server selection for good, long after the server was
 * back. A heartbeat outstanding far longer than the driver's own timeout (connectTimeoutMS)
 * means that: the client is closed and connected again (operations in flight fail, as they would
 * on any connection loss; the callers retry). Returns a function that stops the watchdog.
 */
export const watchMonitor = (
  client: MongoClient,
  options: MonitorWatchdogOptions,
): (() => void) => {
  const outstanding = new Map<string, number>();
  let reconnecting = false;
  let disconnected = false;
  const started = (event: ServerHeartbeatStartedEvent) => {
    outstanding.set(event.connectionId, Date.now());
  };
  const ended = (event: { connectionId: string }) => outstanding.delete(event.connectionId);
  client.on('serverHeartbeatStarted', started);
  client.on('serverHeartbeatSucceeded', ended);
  client.on('serverHeartbeatFailed', ended);

  const check = async () => {
    if (reconnecting) return;
    const now = Date.now();
    const stuckMs = Math.max(0, ...[...outstanding.values()].map((at) => now - at));
    if (!disconnected && stuckMs < options.stuckAfterMs) return;
    reconnecting = true;
    try {
      if (!disconnected) {
        options.onRestart?.(stuckMs);
        outstanding.clear();
        disconnected = true;
        await client.close();
      }
      await client.connect();
      disconnected = false;
    } catch (error) {
      options.onError?.(error);
    } finally {
      reconnecting = false;
    }
  };
  const timer = setInterval(() => void check(), Math.max(10, options.stuckAfterMs / 4));
  timer.unref();
  const stop = () => {
    clearInterval(timer);
    client.off('serverHeartbeatStarted', started);
    client.off('serverHeartbeatSucceeded', ended);
    client.off('serverHeartbeatFailed', ended);
    client.off('topologyClosed', closed);
  };
  // Closed by its owner (not by a restart here): nothing more to watch.
  const closed = () => {
    if (!reconnecting) stop();
  };
  client.on('topologyClosed', closed);
  return stop;
};
