import type { CommandMeta } from './decider';
import { reject } from './errors';

/** Business time may run ahead of the server clock by at most this much (clock skew). */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;

export const minutesBetween = (from: string, to: string): number =>
  (Date.parse(to) - Date.parse(from)) / 60_000;

export const addMinutes = (at: string, minutes: number): string =>
  new Date(Date.parse(at) + minutes * 60_000).toISOString();

export const isBefore = (a: string, b: string): boolean => Date.parse(a) < Date.parse(b);

export const addDays = (at: string, days: number): string => addMinutes(at, days * 24 * 60);

/** Lifecycle facts of one aggregate happen in order, so stage durations are never negative. */
export const assertNotBefore = (previous: string | null, at: string, what: string): void => {
  if (previous !== null && isBefore(at, previous)) {
    reject('OCCURRED_OUT_OF_ORDER', `occurredAt ${at} is before ${what} (${previous})`);
  }
};

export const assertBusinessTime = (meta: CommandMeta): void => {
  if (Date.parse(meta.occurredAt) > Date.parse(meta.now) + MAX_FUTURE_SKEW_MS) {
    reject('OCCURRED_IN_FUTURE', 'occurredAt may not be more than 5 minutes in the future');
  }
};
