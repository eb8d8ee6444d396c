import { CommandHandler, type CommandHandlerOptions } from '../commands/handle';
import { DomainRuleError, NotFoundError, ValidationError } from '../domain/shared/errors';
import type { EventStore } from '../eventstore/port';
import type { DemoCommand } from './timeline';

/**
 * Business time for the command handler: each demo command happened at its `occurredAt`, and
 * the domain refuses facts more than five minutes in the future, so "now" follows the story.
 */
export class DemoClock {
  private current = 0;
  readonly now = (): Date => new Date(this.current);

  set(occurredAt: string): void {
    this.current = Date.parse(occurredAt);
  }
}

export interface FollowUpFailure {
  type: string;
  error: unknown;
}

export interface DemoHandler {
  handler: CommandHandler;
  clock: DemoClock;
  /** Follow-ups (convertLead after openDeal) the handler reports instead of throwing. */
  followUpFailures: FollowUpFailure[];
}

/** A CommandHandler on the demo's clock, keeping follow-up failures for `runDemo` to count. */
export const createDemoHandler = (
  store: EventStore,
  options: Omit<CommandHandlerOptions, 'clock' | 'onFollowUpError'> = {},
): DemoHandler => {
  const clock = new DemoClock();
  const followUpFailures: FollowUpFailure[] = [];
  const handler = new CommandHandler(store, {
    ...options,
    clock: clock.now,
    onFollowUpError: (error, followUp) => followUpFailures.push({ type: followUp.type, error }),
  });
  return { handler, clock, followUpFailures };
};

export interface DemoProgress {
  commands: number;
  events: number;
  rejected: number;
  /** Business time reached. */
  occurredAt: string;
}

export interface DemoRunOptions {
  clock: DemoClock;
  followUpFailures?: FollowUpFailure[];
  onProgress?: (progress: DemoProgress) => void;
  /** Commands between progress reports. */
  progressEvery?: number;
  /** Rejections kept with their command, for diagnosis. */
  keepSamples?: number;
  /**
   * Commands between turns of the event loop: an embedded store answers without one, so a long
   * run would otherwise hold off timers and signals (a stop request) until it ends.
   */
  yieldEvery?: number;
}

export interface DemoSummary {
  commands: number;
  /** Events written, follow-ups included. */
  events: number;
  /** Commands an earlier run had already handled (same idempotency key): nothing written. */
  deduplicated: number;
  eventsByType: Record<string, number>;
  /** Commands the domain refused (a bug in the generator: it must produce valid histories). */
  rejected: number;
  /** Refusals by rule code (or error name). */
  rejections: Record<string, number>;
  samples: Array<{ command: DemoCommand; error: string }>;
  /** Position of the last event written by a demo command. */
  lastPosition: string;
}

const ruleOf = (error: unknown): string => {
  if (error instanceof DomainRuleError) return error.rule;
  if (error instanceof ValidationError) return 'VALIDATION';
  if (error instanceof NotFoundError) return 'NOT_FOUND';
  return error instanceof Error ? error.name : 'UNKNOWN';
};

/**
 * Handles the commands in order through the command handler (never straight into the store),
 * with the clock at each command's business time. Refused commands are counted, not thrown:
 * the caller decides whether a refusal is fatal.
 */
export const runDemo = async (
  handler: Pick<CommandHandler, 'handle'>,
  commands: Iterable<DemoCommand>,
  options: DemoRunOptions,
): Promise<DemoSummary> => {
  const { clock, followUpFailures = [], onProgress } = options;
  const every = options.progressEvery ?? 1_000;
  const keep = options.keepSamples ?? 20;
  const summary: DemoSummary = {
    commands: 0,
    events: 0,
    deduplicated: 0,
    eventsByType: {},
    rejected: 0,
    rejections: {},
    samples: [],
    lastPosition: '',
  };
  const reject = (command: DemoCommand, error: unknown, rule = ruleOf(error)) => {
    summary.rejected += 1;
    summary.rejections[rule] = (summary.rejections[rule] ?? 0) + 1;
    if (summary.samples.length < keep) {
      summary.samples.push({
        command,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };
  const count = (type: string, n = 1) => {
    summary.events += n;
    summary.eventsByType[type] = (summary.eventsByType[type] ?? 0) + n;
  };
  let occurredAt = '';
  for (const command of commands) {
    occurredAt = command.context.occurredAt;
    clock.set(occurredAt);
    const failuresBefore = followUpFailures.length;
    try {
      const result = await handler.handle(command.type, command.input, command.context);
      if (result.position > summary.lastPosition) summary.lastPosition = result.position;
      if (result.deduplicated) {
        summary.deduplicated += 1;
      } else {
        for (const event of result.events) count(event.type);
        if (command.type === 'openDeal') {
          const leads = (command.input.leadIds as unknown[]).length;
          count('LeadConverted', leads - (followUpFailures.length - failuresBefore));
        }
      }
    } catch (error) {
      reject(command, error);
    }
    for (const failure of followUpFailures.slice(failuresBefore)) {
      reject(command, failure.error, `follow-up ${failure.type}: ${ruleOf(failure.error)}`);
    }
    summary.commands += 1;
    if (options.yieldEvery && summary.commands % options.yieldEvery === 0) {
      await new Promise(setImmediate);
    }
    if (onProgress && summary.commands % every === 0) {
      onProgress({
        commands: summary.commands,
        events: summary.events,
        rejected: summary.rejected,
        occurredAt,
      });
    }
  }
  onProgress?.({
    commands: summary.commands,
    events: summary.events,
    rejected: summary.rejected,
    occurredAt,
  });
  return summary;
};
