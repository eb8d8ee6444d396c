import { dealsProjection } from './deals/projection';
import { funnelProjection } from './funnel/projection';
import { leadsProjection } from './leads/projection';
import type { Projection } from './projection';
import { repsProjection } from './reps/projection';
import { slaDeadlinesProjection } from './sla-deadlines/projection';
import { slaProjection } from './sla/projection';

/** Every read model the runner keeps: one read of the log feeds them all. */
export const PROJECTIONS: readonly Projection[] = [
  leadsProjection,
  funnelProjection,
  slaProjection,
  slaDeadlinesProjection,
  dealsProjection,
  repsProjection,
];
