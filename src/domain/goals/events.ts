import { z } from 'zod';
import type { DomainEvent } from '../shared/decider';
import { Amount } from '../shared/values';
import { CalendarDate } from '../campaign/events';
import { Period } from './period';

/** Targets for one period; a later GoalsSet for the same period replaces them. */
export const GoalsSet = z.object({
  period: Period,
  periodStart: CalendarDate,
  periodEnd: CalendarDate,
  revenue: Amount,
  pipeline: Amount.nullable(),
  mqls: z.number().int().min(0).nullable(),
  sqls: z.number().int().min(0).nullable(),
});
export type GoalsSet = z.infer<typeof GoalsSet>;

export const GOALS_EVENTS = { GoalsSet };

export type GoalsEvent = DomainEvent<'GoalsSet', GoalsSet>;
