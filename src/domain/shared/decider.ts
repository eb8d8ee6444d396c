import type { Actor } from './values';

/** A domain event as deciders see it: the envelope adds ids, positions and hashes. */
export interface DomainEvent<T extends string = string, D = unknown> {
  type: T;
  /** Business time, ISO-8601 UTC. */
  occurredAt: string;
  data: D;
}

/** What every command carries besides its data: who, when it happened, and when it is now. */
export interface CommandMeta {
  actor: Actor;
  /** Business time of the fact (defaults to `now` in the command handler). */
  occurredAt: string;
  /** Server time when the command was received; deciders never read a clock. */
  now: string;
}

export interface Command<T extends string = string, D = unknown> {
  type: T;
  data: D;
  meta: CommandMeta;
}

export interface Decider<C extends Command, E extends DomainEvent, S> {
  decide(command: C, state: S): E[];
  evolve(state: S, event: E): S;
  initialState(): S;
}

/** Exhaustiveness at compile time, a clear error at run time. */
export const unknownCommand = (command: never): never => {
  throw new Error(`no decider rule for command ${(command as Command).type}`);
};
