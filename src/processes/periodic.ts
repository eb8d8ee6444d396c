/**
 * Runs `work` one call at a time: on demand (`run`) and, once started, now and then `intervalMs`
 * after each run ends. What the background processes (SLA monitor, anchorer) share.
 */
export class Periodic<T> {
  /** The last run queued; runs never overlap. */
  private tail: Promise<unknown> = Promise.resolve();
  /** The scheduled run and its reporting. */
  private scheduled: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  /** Bumped by start and stop, so a loop left over from an earlier start ends. */
  private generation = 0;
  private running = false;

  constructor(
    private readonly work: () => Promise<T>,
    private readonly onError: (error: unknown) => void,
    private readonly onRun?: (result: T) => void,
  ) {}

  /** Runs the work now, after the run in progress if any. */
  run(): Promise<T> {
    const run = this.tail.then(() => this.work());
    this.tail = run.catch(() => undefined);
    return run;
  }

  start(intervalMs: number): void {
    if (this.running) return;
    this.running = true;
    const generation = ++this.generation;
    const schedule = (delay: number) => {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.scheduled = this.run()
          .then((result) => this.onRun?.(result))
          .catch((error: unknown) => this.onError(error))
          .finally(() => {
            if (this.generation === generation) schedule(intervalMs);
          });
      }, delay);
      // A background process alone must not keep the process alive.
      this.timer.unref();
    };
    schedule(0);
  }

  /** Stops scheduling and waits for the run in progress, if any. */
  async stop(): Promise<void> {
    this.running = false;
    this.generation += 1;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.scheduled;
    await this.tail;
  }
}
