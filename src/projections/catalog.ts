import { attributionProjection } from './attribution/projection';
import { auditTrailProjection } from './audit-trail/projection';
import { campaignsProjection } from './campaigns/projection';
import { dealsProjection } from './deals/projection';
import { droppedLeadsProjection } from './dropped-leads/projection';
import { funnelProjection } from './funnel/projection';
import { goalsProjection } from './goals/projection';
import { leadsProjection } from './leads/projection';
import { lostReasonsProjection } from './lost-reasons/projection';
import type { Projection } from './projection';
import { repActivityProjection } from './rep-activity/projection';
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
  campaignsProjection,
  repActivityProjection,
  lostReasonsProjection,
  goalsProjection,
  attributionProjection,
  auditTrailProjection,
  droppedLeadsProjection,
];
