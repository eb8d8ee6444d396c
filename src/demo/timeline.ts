import type { Actor } from '../domain/shared/values';

/** A command as the demo hands it to the CommandHandler. */
export interface DemoCommand {
  type: string;
  input: Record<string, unknown>;
  context: { actor: Actor; occurredAt: string; idempotencyKey?: string };
}

/** A command and its business time in epoch milliseconds; `seq` orders equal times. */
export interface TimedCommand {
  ms: number;
  seq: number;
  command: DemoCommand;
}

export const byTime = (a: TimedCommand, b: TimedCommand): number => a.ms - b.ms || a.seq - b.seq;

/**
 * The commands of one actor of the story (a lead, the company calendar), each with an
 * idempotency key derived from the seed so that ids derived from it are the same on every run.
 */
export class Timeline {
  private readonly items: TimedCommand[] = [];
  private seq = 0;
  /** Business time of the latest command placed in order. */
  now: number;

  constructor(
    private readonly keyPrefix: string,
    start: number,
  ) {
    this.now = start;
  }

  /** A command at `ms`, never before the previous one: aggregates refuse facts out of order. */
  add(ms: number, actor: Actor, type: string, input: Record<string, unknown>): void {
    if (ms < this.now) {
      throw new Error(`demo timeline: ${type} at ${iso(ms)} precedes ${iso(this.now)}`);
    }
    this.now = ms;
    this.place(ms, actor, type, input);
  }

  /** A command at `ms` whatever came before (the SLA monitor's view of past deadlines). */
  insert(
    ms: number,
    actor: Actor,
    type: string,
    input: Record<string, unknown>,
    idempotencyKey?: string,
  ): void {
    this.place(ms, actor, type, input, idempotencyKey);
  }

  /** Every command before `endMs`, in business-time order. */
  until(endMs: number): TimedCommand[] {
    return this.items.filter((c) => c.ms < endMs).sort(byTime);
  }

  /** Business time of the latest command, breaches included. */
  last(): number {
    return this.items.reduce((max, c) => Math.max(max, c.ms), this.now);
  }

  private place(
    ms: number,
    actor: Actor,
    type: string,
    input: Record<string, unknown>,
    idempotencyKey = `${this.keyPrefix}:${this.seq}`,
  ): void {
    const command = { type, input, context: { actor, occurredAt: iso(ms), idempotencyKey } };
    this.items.push({ ms, seq: this.seq, command });
    this.seq += 1;
  }
}

export const iso = (ms: number): string => new Date(ms).toISOString();
