import type { Decider } from '../shared/decider';
import { reject } from '../shared/errors';
import { assertBusinessTime } from '../shared/time';
import type { GoalsCommand } from './commands';
import type { GoalsEvent, GoalsSet } from './events';
import { periodBounds } from './period';

export interface GoalsState {
  exists: boolean;
  targets: GoalsSet | null;
  /** How many times the targets were set. */
  revisions: number;
}

export const initialState = (): GoalsState => ({ exists: false, targets: null, revisions: 0 });

export const decide = (command: GoalsCommand, _state: GoalsState): GoalsEvent[] => {
  const { data, meta } = command;
  assertBusinessTime(meta);
  if (data.pipeline !== null && data.pipeline < data.revenue) {
    reject('PIPELINE_BELOW_REVENUE', 'the pipeline target cannot be below the revenue target');
  }
  if (data.sqls !== null && data.mqls !== null && data.sqls > data.mqls) {
    reject('SQL_TARGET_ABOVE_MQL', 'every SQL was an MQL first: sqls cannot exceed mqls');
  }
  return [
    {
      type: 'GoalsSet',
      occurredAt: meta.occurredAt,
      data: { ...data, ...periodBounds(data.period) },
    },
  ];
};

export const evolve = (state: GoalsState, event: GoalsEvent): GoalsState => {
  switch (event.type) {
    case 'GoalsSet':
      return { exists: true, targets: event.data, revisions: state.revisions + 1 };
    default:
      return state;
  }
};

export const goalsDecider: Decider<GoalsCommand, GoalsEvent, GoalsState> = {
  decide,
  evolve,
  initialState,
};
