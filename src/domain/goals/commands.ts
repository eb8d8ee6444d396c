import { z } from 'zod';
import { allow } from '../shared/authorization';
import type { CommandSpec, HandledCommand } from '../shared/command-spec';
import { Amount, orNull } from '../shared/values';
import { Period } from './period';

export const goalStreamId = (period: string): string => `goal-${period}`;

export const SetGoals = z.object({
  period: Period,
  revenue: Amount,
  pipeline: orNull(Amount),
  mqls: orNull(z.number().int().min(0)),
  sqls: orNull(z.number().int().min(0)),
});
export type SetGoals = z.infer<typeof SetGoals>;

export const setGoals: CommandSpec<SetGoals> = {
  type: 'setGoals',
  aggregate: 'goals',
  schema: SetGoals,
  streamId: (d) => goalStreamId(d.period),
  authorize: allow(),
  // New targets replace old ones: the caller should have seen what it replaces.
  retryOnConflict: false,
};

export const GOALS_COMMANDS = { setGoals };

export type GoalsCommand = HandledCommand<'setGoals', SetGoals>;
