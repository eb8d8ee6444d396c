import { Periodic } from './periodic';
import { createHash } from 'node:crypto';
import type { CommandHandler } from '../commands/handle';
import type { SlaKind } from '../domain/lead/events';
import { DomainRuleError } from '../domain/shared/errors';
import type { Actor } from '../domain/shared/values';
import { ConcurrencyError } from '../eventstore/port';

/** A deadline the read model believes has passed unmet; the lead's decider has the last word. */
export interface DueDeadline {
  leadId: string;
  handoffId: string;
  kind: SlaKind;
  deadline: string;
}

export interface TickSummary {
  /** Due deadlines the read model returned. */
  checked: number;
  /** SlaBreached events written by this tick. */
  breached: number;
  /** Deadlines settled meanwhile (accepted, met, closed, already breached, lead forgotten). */
  settled: number;
  /** A concurrent write to the lead won; the deadline is checked again on the next tick. */
  conflicts: number;
  /** Anything else; logged. */
  failed: number;
}

export interface SlaMonitorOptions {
  handler: Pick<CommandHandler, 'handle'>;
  /** Open deadlines at or before `now` (ISO-8601), oldest first, bounded by the caller. */
  dueDeadlines: (now: string) => Promise<DueDeadline[]>;
  clock?: () => Date;
  /** Failed breaches and failed scheduled ticks. */
  onError?: (error: unknown, due?: DueDeadline) => void;
  /** After each scheduled tick (metrics, logs). */
  onTick?: (summary: TickSummary) => void;
}

export const SLA_MONITOR_ACTOR: Actor = { id: 'sla-monitor', roles: ['ADMIN'] };

export const DEFAULT_SLA_MONITOR_INTERVAL_MS = 5_000;

/** Refusals that mean the deadline was settled after the read model saw it due. */
const SETTLED_RULES: ReadonlySet<string> = new Set([
  'HANDOFF_NOT_PENDING',
  'SLA_MET',
  'HANDOFF_CLOSED',
  'SLA_BREACH_ALREADY_RECORDED',
  'LEAD_FORGOTTEN',
]);

const MAX_KEY_LENGTH = 200;

/**
 * One key per lead, handoff and kind. Handoff ids are unique per lead only, and SQLite keeps
 * keys globally, so the lead is part of it; ids too long for the key limit are digested.
 */
export const breachKey = ({ leadId, handoffId, kind }: DueDeadline): string => {
  const readable = `sla-breach:${leadId}:${handoffId}:${kind}`;
  if (readable.length <= MAX_KEY_LENGTH) return readable;
  const digest = createHash('sha256').update(`${leadId}\u0000${handoffId}`).digest('hex');
  return `sla-breach:${digest}:${kind}`;
};

type Outcome = 'breached' | 'settled' | 'conflicts' | 'failed';

/**
 * Turns passed deadlines into SlaBreached events. The read model only says where to look: each
 * breach goes through `recordSlaBreach`, decided on the lead's stream and appended with the
 * revision it was decided on, so a concurrent accept wins and no deadline is breached twice.
 */
export class SlaMonitor {
  private readonly handler: SlaMonitorOptions['handler'];
  private readonly dueDeadlines: SlaMonitorOptions['dueDeadlines'];
  private readonly clock: () => Date;
  private readonly onError: NonNullable<SlaMonitorOptions['onError']>;
  private readonly onTick: SlaMonitorOptions['onTick'];
  private readonly periodic: Periodic<TickSummary>;

  constructor(options: SlaMonitorOptions) {
    this.handler = options.handler;
    this.dueDeadlines = options.dueDeadlines;
    this.clock = options.clock ?? (() => new Date());
    this.onError =
      options.onError ??
      ((error, due) =>
        console.error(
          due ? `SLA breach ${breachKey(due)} failed:` : 'SLA monitor tick failed:',
          error,
        ));
    this.onTick = options.onTick;
    this.periodic = new Periodic(
      () => this.check(),
      (error) => this.onError(error),
      (summary) => this.onTick?.(summary),
    );
  }

  /** Checks the deadlines due now; waits for a tick in progress first, so ticks never overlap. */
  tick(): Promise<TickSummary> {
    return this.periodic.run();
  }

  /** Ticks now and then `intervalMs` after each tick ends. */
  start(intervalMs = DEFAULT_SLA_MONITOR_INTERVAL_MS): void {
    this.periodic.start(intervalMs);
  }

  /** Stops scheduling and waits for the tick in progress, if any. */
  stop(): Promise<void> {
    return this.periodic.stop();
  }

  private async check(): Promise<TickSummary> {
    const now = this.clock().toISOString();
    const due = await this.dueDeadlines(now);
    const summary: TickSummary = {
      checked: due.length,
      breached: 0,
      settled: 0,
      conflicts: 0,
      failed: 0,
    };
    for (const deadline of due) summary[await this.record(deadline, now)] += 1;
    return summary;
  }

  private async record(due: DueDeadline, now: string): Promise<Outcome> {
    const { leadId, handoffId, kind, deadline } = due;
    try {
      const result = await this.handler.handle(
        'recordSlaBreach',
        { leadId, handoffId, kind, deadline, detectedAt: now },
        { actor: SLA_MONITOR_ACTOR, occurredAt: now, idempotencyKey: breachKey(due) },
      );
      // A deduplicated result: an earlier tick wrote it and the read model had not caught up.
      return result.deduplicated ? 'settled' : 'breached';
    } catch (error) {
      if (error instanceof ConcurrencyError) return 'conflicts';
      if (error instanceof DomainRuleError && SETTLED_RULES.has(error.rule)) return 'settled';
      this.onError(error, due);
      return 'failed';
    }
  }
}
