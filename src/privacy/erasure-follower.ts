import type { EventStore, Subscription } from '../eventstore/port';
import type { DataKeys } from './data-keys';
import { FORGOTTEN_EVENT, subjectOf } from './vault';

const CHECKPOINT = 'erasures';

export interface ErasureFollowerOptions {
  retryDelayMs?: number;
  onError?: (error: unknown) => void;
}

/**
 * Follows LeadForgotten in the log and deletes each lead's key (idempotently) and drops it from
 * this process's memory. The vault deletes the key right after appending the event; this
 * finishes an erasure that stopped in between (a crash, the key store away) and makes every
 * other process sharing the stores forget its cached copy of the key.
 */
export class ErasureFollower {
  private readonly retryDelayMs: number;
  private readonly onError: (error: unknown) => void;
  private subscription: Subscription | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly events: EventStore,
    private readonly keys: DataKeys,
    options: ErasureFollowerOptions = {},
  ) {
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.onError =
      options.onError ?? ((error) => console.error('privacy: erasure follower:', error));
  }

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.subscription?.close();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        const from = (await this.keys.store.readCheckpoint(CHECKPOINT)) ?? '';
        if (this.stopped) return;
        this.subscription = this.events.subscribe({ from, eventTypes: [FORGOTTEN_EVENT] });
        for await (const event of this.subscription) {
          const subject = subjectOf(event.streamId);
          if (event.type === FORGOTTEN_EVENT && subject !== undefined) {
            await this.keys.forget(subject);
          }
          await this.keys.store.writeCheckpoint(CHECKPOINT, event.position);
        }
      } catch (error) {
        if (this.stopped) return;
        this.onError(error);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.retryDelayMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }
}
