import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { COMMANDS, DECIDERS, followUps } from '../domain/catalog';
import { currentSchemaVersion, upcast } from '../domain/registry';
import type {
  AnyDecider,
  CommandSpec,
  HandledCommand,
  IdSource,
} from '../domain/shared/command-spec';
import type { DomainEvent } from '../domain/shared/decider';
import { ValidationError, type FieldError } from '../domain/shared/errors';
import { Instant, type Actor } from '../domain/shared/values';
import {
  ConcurrencyError,
  IdempotencyKeyReusedError,
  type EventStore,
  type StoredEvent,
} from '../eventstore/port';
import { uuidV5 } from '../eventstore/uuid';
import { ForbiddenError, UnknownCommandError } from './errors';
import { StateCache } from './state-cache';

/** Who asks and how: everything a command carries besides its own data. */
export interface CommandContext {
  actor: Actor;
  /** Stream revision the caller last saw (-1: the stream must not exist); a mismatch is CONFLICT. */
  expectedVersion?: number;
  /** A retry with the same key (per actor) returns the first result and writes nothing. */
  idempotencyKey?: string;
  /** Business time; defaults to now. */
  occurredAt?: string;
  correlationId?: string;
  causationId?: string;
}

export interface CommandResult {
  streamId: string;
  /** Stream revision after the write. */
  version: number;
  /** Global position of the last event written (or, when nothing was written, of the head). */
  position: string;
  /** The events this command wrote (on an idempotent retry: the ones it wrote the first time). */
  events: DomainEvent[];
  /** True when an earlier call with the same idempotency key had already written them. */
  deduplicated: boolean;
}

export interface CommandHandlerOptions {
  clock?: () => Date;
  /** Re-decisions after a concurrency conflict, for commands safe to retry. */
  maxRetries?: number;
  stateCacheSize?: number;
  /** Called when a follow-up command (e.g. convertLead after openDeal) fails. */
  onFollowUpError?: (error: unknown, followUp: { type: string; data: unknown }) => void;
}

const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

const COMMAND_ID_NAMESPACE = '6f1c3b0e-9a4e-4c55-9d0b-2f4f7a5e8c21';
/** Ids derived from an idempotency key: the same on every retry, valid uuids everywhere. */
const uuidFrom = (seed: string): string => uuidV5(COMMAND_ID_NAMESPACE, seed);

/**
 * The ids a command left out. It remembers those minted at random: a stream one of them names
 * (`lead-<leadId>` of a captureLead without a leadId) cannot exist yet, so it is not read.
 */
const idSource = (
  scopedKey: string | undefined,
): IdSource & { namesNew(streamId: string): boolean } => {
  const random = new Set<string>();
  return {
    next: (purpose) => {
      if (scopedKey) return uuidFrom(`${scopedKey}\u0000${purpose}`);
      const id = randomUUID();
      random.add(id);
      return id;
    },
    // Whatever the stream's prefix: a random uuid at its end is one minted here.
    namesNew: (streamId) => [...random].some((id) => streamId.endsWith(id)),
  };
};

const fieldErrors = (error: z.ZodError, prefix = ''): FieldError[] =>
  error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(input)',
    message: issue.message,
  }));

const toDomainEvent = (e: StoredEvent): DomainEvent => {
  const current = upcast({ type: e.type, schemaVersion: e.schemaVersion, data: e.data });
  return { type: e.type, occurredAt: e.occurredAt, data: current.data };
};

/**
 * The application service: validate, authorise, load and fold, decide, append with the expected
 * revision. Pure rules live in the domain; this is the only place commands touch the store.
 */
export class CommandHandler {
  private readonly clock: () => Date;
  private readonly maxRetries: number;
  private readonly cache: StateCache;
  private readonly onFollowUpError: NonNullable<CommandHandlerOptions['onFollowUpError']>;

  constructor(
    private readonly store: EventStore,
    options: CommandHandlerOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.maxRetries = options.maxRetries ?? 5;
    this.cache = new StateCache(options.stateCacheSize ?? 10_000);
    this.onFollowUpError =
      options.onFollowUpError ??
      ((error, followUp) => console.error(`follow-up ${followUp.type} failed:`, error));
  }

  async handle(type: string, input: unknown, context: CommandContext): Promise<CommandResult> {
    const spec = COMMANDS[type];
    if (!spec) throw new UnknownCommandError(type);
    const now = this.clock().toISOString();
    const { occurredAt, scopedKey } = this.validateCommon(context, now);
    const raw = (input ?? {}) as Record<string, unknown>;
    const ids = idSource(scopedKey);
    const parsed = spec.schema.safeParse(spec.prepare ? spec.prepare(raw, ids) : raw);
    if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error));
    const data = parsed.data;
    if (!spec.authorize(context.actor, data)) throw new ForbiddenError(type, context.actor);

    const streamId = spec.streamId(data);
    const correlationId = context.correlationId ?? randomUUID();
    context = { ...context, correlationId };
    const meta = { actor: context.actor, occurredAt, now };

    if (scopedKey !== undefined) {
      const earlier = await this.store.findIdempotent(streamId, scopedKey);
      if (earlier) {
        const command: HandledCommand = { type, data, meta, context: {} };
        return this.replayResult(streamId, scopedKey, earlier, command, context);
      }
    }

    // Its append still expects no stream: were one there after all (two random uuids alike),
    // the append fails as a conflict (re-decided on the stream read, where retries are safe).
    const isNew = ids.namesNew(streamId);
    for (let attempt = 0; ; attempt += 1) {
      const decider = DECIDERS[spec.aggregate];
      const { state, revision, position } =
        isNew && attempt === 0
          ? { state: decider.initialState(), revision: null, position: '' }
          : await this.load(streamId, decider);
      if (context.expectedVersion !== undefined && context.expectedVersion !== (revision ?? -1)) {
        throw new ConcurrencyError(streamId, context.expectedVersion, revision);
      }
      const dependencies = await this.loadDependencies(spec, data);
      const command: HandledCommand = { type, data, meta, context: dependencies };
      const events = decider.decide(command, state);
      if (events.length === 0) {
        return { streamId, version: revision ?? -1, position, events, deduplicated: false };
      }
      try {
        const result = await this.store.append(
          streamId,
          events.map((event, i) => ({
            ...(scopedKey !== undefined ? { id: uuidFrom(`${scopedKey}\u0000event:${i}`) } : {}),
            type: event.type,
            schemaVersion: currentSchemaVersion(event.type),
            occurredAt: event.occurredAt,
            data: event.data,
            metadata: {
              actor: context.actor,
              correlationId,
              causationId: context.causationId ?? correlationId,
              command: type,
            },
          })),
          {
            expectedRevision: revision ?? 'NO_STREAM',
            ...(scopedKey !== undefined ? { idempotencyKey: scopedKey } : {}),
          },
        );
        if (result.deduplicated) {
          return this.replayResult(streamId, scopedKey!, result, command, context);
        }
        this.cache.set(streamId, {
          revision: result.revision,
          position: result.position,
          state: events.reduce((s, e) => decider.evolve(s, e), state),
        });
        await this.runFollowUps(command, events, context, result.position);
        return {
          streamId,
          version: result.revision,
          position: result.position,
          events,
          deduplicated: false,
        };
      } catch (error) {
        this.cache.delete(streamId);
        const retry =
          error instanceof ConcurrencyError &&
          context.expectedVersion === undefined &&
          spec.retryOnConflict &&
          attempt < this.maxRetries;
        if (!retry) throw error;
      }
    }
  }

  private validateCommon(context: CommandContext, now: string) {
    const errors: FieldError[] = [];
    let occurredAt = now;
    if (context.occurredAt !== undefined) {
      const parsed = Instant.safeParse(context.occurredAt);
      if (parsed.success) occurredAt = parsed.data;
      else errors.push(...fieldErrors(parsed.error, 'occurredAt'));
    }
    const key = context.idempotencyKey;
    if (key !== undefined && (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
      errors.push({
        path: 'idempotencyKey',
        message: `must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`,
      });
    }
    const version = context.expectedVersion;
    if (version !== undefined && (!Number.isInteger(version) || version < -1)) {
      errors.push({ path: 'expectedVersion', message: 'must be an integer >= -1' });
    }
    if (errors.length > 0) throw new ValidationError(errors);
    // Keys are unique per actor: two actors may both use "retry-1" without colliding.
    const scopedKey = key === undefined ? undefined : `${context.actor.id}\u0000${key}`;
    return { occurredAt, scopedKey };
  }

  /** Folds a stream, starting from the cached state when one is held. */
  private async load(streamId: string, decider: AnyDecider) {
    const cached = this.cache.get(streamId);
    const fromRevision = cached ? cached.revision + 1 : 0;
    const stored = await this.store.readStream(streamId, { fromRevision });
    let state = cached ? cached.state : decider.initialState();
    for (const event of stored) state = decider.evolve(state, toDomainEvent(event));
    const last = stored[stored.length - 1];
    const head = last ? { revision: last.revision, position: last.position } : cached;
    if (head) this.cache.set(streamId, { ...head, state });
    return { state, revision: head?.revision ?? null, position: head?.position ?? '' };
  }

  private async loadDependencies(spec: CommandSpec, data: unknown) {
    const context: Record<string, unknown> = {};
    for (const dependency of spec.dependencies?.(data) ?? []) {
      const { state } = await this.load(dependency.streamId, DECIDERS[dependency.aggregate]);
      context[dependency.key] = state;
    }
    return context;
  }

  /** The first result of an idempotent command, rebuilt from the events it wrote. */
  private async replayResult(
    streamId: string,
    scopedKey: string,
    earlier: { revision: number; position: string },
    command: HandledCommand,
    context: CommandContext,
  ): Promise<CommandResult> {
    const stored = await this.store.readStream(streamId, { toRevision: earlier.revision });
    const first = stored.filter((e) => e.metadata.idempotencyKey === scopedKey);
    // A key names one command's attempts: another command reusing it is refused, not replayed.
    const other = first.find((e) => e.metadata.command && e.metadata.command !== command.type);
    if (other) {
      throw new IdempotencyKeyReusedError(
        context.idempotencyKey ?? scopedKey,
        streamId,
        `idempotency key was already used by ${other.metadata.command}, not ${command.type}`,
      );
    }
    const events = first.map(toDomainEvent);
    // The first call may have stopped before its follow-ups; theirs are idempotent too.
    await this.runFollowUps(command, events, context, earlier.position);
    return {
      streamId,
      version: earlier.revision,
      position: earlier.position,
      events,
      deduplicated: true,
    };
  }

  /** Commands other aggregates owe this one's events (e.g. openDeal converts its leads). */
  private async runFollowUps(
    command: HandledCommand,
    events: DomainEvent[],
    context: CommandContext,
    position: string,
  ) {
    for (const [i, followUp] of followUps(command, events).entries()) {
      try {
        await this.handle(followUp.type, followUp.data, {
          actor: context.actor,
          occurredAt: command.meta.occurredAt,
          correlationId: context.correlationId,
          causationId: position,
          idempotencyKey: `follow-up:${position}:${i}`,
        });
      } catch (error) {
        // The command itself is written and acknowledged; a failed follow-up must not undo that.
        this.onFollowUpError(error, followUp);
      }
    }
  }
}
