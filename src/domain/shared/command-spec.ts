import type { z } from 'zod';
import type { Command, Decider, DomainEvent } from './decider';
import type { Actor } from './values';

/** Supplies ids a command left out; deterministic when the command carries an idempotency key. */
export interface IdSource {
  /** A fresh id for `purpose` (e.g. 'leadId'); the same purpose gives the same id on a retry. */
  next(purpose: string): string;
}

/** Another stream whose folded state a command needs (e.g. the SLA agreement for a handoff). */
export interface Dependency {
  /** Key under which the folded state is passed in `command.context`. */
  key: string;
  streamId: string;
  aggregate: AggregateName;
}

export type AggregateName = 'lead' | 'deal' | 'slaAgreement' | 'campaign' | 'goals';

/**
 * Everything the command handler needs to know about one command type; the handler itself is
 * generic (load, fold, decide, append). Pure data and pure functions only.
 */
export interface CommandSpec<D = unknown> {
  type: string;
  aggregate: AggregateName;
  /** Validates and normalises the command's data (zod; its issues become field errors). */
  schema: z.ZodType<D>;
  /** Fills ids the caller left out, before validation. */
  prepare?(raw: Record<string, unknown>, ids: IdSource): Record<string, unknown>;
  streamId(data: D): string;
  /** Role-level permission (API.md's table); rules about whose lead it is live in the decider. */
  authorize(actor: Actor, data: D): boolean;
  /** Safe to re-decide on a concurrency conflict when the caller gave no expected version. */
  retryOnConflict: boolean;
  /** Other streams to load, read-only, into `command.context`. */
  dependencies?(data: D): Dependency[];
}

/** A command as the decider receives it: data validated, dependencies folded. */
export interface HandledCommand<T extends string = string, D = unknown> extends Command<T, D> {
  context: Record<string, unknown>;
}

/** The union of handled commands described by a record of specs, keyed by command type. */
export type CommandsOf<T> = {
  [K in keyof T & string]: HandledCommand<K, T[K] extends CommandSpec<infer D> ? D : never>;
}[keyof T & string];

export type AnyDecider = Decider<HandledCommand, DomainEvent, unknown>;

/** A `prepare` that fills one id field from the IdSource when the caller left it out. */
export const fillId =
  (field: string) =>
  (raw: Record<string, unknown>, ids: IdSource): Record<string, unknown> =>
    raw[field] === undefined || raw[field] === null ? { ...raw, [field]: ids.next(field) } : raw;
