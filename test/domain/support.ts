import { COMMANDS, DECIDERS } from '../../src/domain/catalog';
import { validateEvent } from '../../src/domain/registry';
import type { AggregateName, HandledCommand } from '../../src/domain/shared/command-spec';
import type { DomainEvent } from '../../src/domain/shared/decider';
import { DomainRuleError, NotFoundError } from '../../src/domain/shared/errors';
import { addMinutes } from '../../src/domain/shared/time';
import type { Actor } from '../../src/domain/shared/values';

/** Business time every scenario starts from; `at(m)` is m minutes later. */
export const T0 = '2026-07-01T09:00:00.000Z';
export const at = (minutes: number): string => addMinutes(T0, minutes);

export const actors = {
  marketing: { id: 'mia', roles: ['MARKETING'] },
  rep: { id: 'rex', roles: ['SALES'] },
  otherRep: { id: 'ora', roles: ['SALES'] },
  admin: { id: 'ada', roles: ['ADMIN'] },
  analyst: { id: 'ann', roles: ['ANALYST'] },
  auditor: { id: 'aud', roles: ['AUDITOR'] },
} satisfies Record<string, Actor>;

export interface CommandOptions {
  actor?: Actor;
  /** Business time (meta.occurredAt); defaults to T0. */
  at?: string;
  /** Server time (meta.now); defaults to the business time. */
  now?: string;
  context?: Record<string, unknown>;
}

const specOf = (type: string) => {
  const spec = COMMANDS[type];
  if (!spec) throw new Error(`no command ${type}`);
  return spec;
};

/** A command as the handler passes it: the input parsed by the command's own schema. */
export const command = (
  type: string,
  input: Record<string, unknown>,
  options: CommandOptions = {},
): HandledCommand => {
  const occurredAt = options.at ?? T0;
  return {
    type,
    data: specOf(type).schema.parse(input),
    meta: { actor: options.actor ?? actors.admin, occurredAt, now: options.now ?? occurredAt },
    context: options.context ?? {},
  };
};

/** An event as a stream would hold it; its data must satisfy the registry's schema. */
export const event = (type: string, data: unknown, occurredAt: string = T0): DomainEvent => ({
  type,
  occurredAt,
  data: validateEvent(type, data),
});

const deepFreeze = <T>(value: T): T => {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
};

/** Folds events (onto `from`, else the initial state); every state is frozen so a mutation throws. */
export const fold = (aggregate: AggregateName, events: DomainEvent[], from?: unknown): unknown => {
  const decider = DECIDERS[aggregate];
  return events.reduce(
    (state, e) => deepFreeze(decider.evolve(state, e)),
    deepFreeze(from ?? decider.initialState()),
  );
};

const caught = (run: () => unknown): unknown => {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected the command to be refused, but it was accepted');
};

/** given(events).when(command).then(events) | thenRejects(rule) | thenNotFound(entity, id) */
export const given = (...history: DomainEvent[]) => ({
  when: (cmd: HandledCommand) => {
    const { aggregate } = specOf(cmd.type);
    const decide = () => DECIDERS[aggregate].decide(cmd, fold(aggregate, history));
    return {
      then: (...expected: DomainEvent[]): DomainEvent[] => {
        const produced = decide();
        for (const e of produced) expect(validateEvent(e.type, e.data)).toEqual(e.data);
        expect(produced).toEqual(expected);
        return produced;
      },
      /** Decides, checks the events validate, and returns the state they fold to. */
      thenState: <S>(): S => {
        const produced = decide();
        for (const e of produced) validateEvent(e.type, e.data);
        return fold(aggregate, [...history, ...produced]) as S;
      },
      thenRejects: (rule: string): void => {
        const error = caught(decide);
        expect(error).toBeInstanceOf(DomainRuleError);
        expect((error as DomainRuleError).rule).toBe(rule);
      },
      thenNotFound: (entity: string, id: string): void => {
        const error = caught(decide);
        expect(error).toBeInstanceOf(NotFoundError);
        expect(error).toMatchObject({ entity, id });
      },
    };
  },
});
