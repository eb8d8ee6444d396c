import type {
  HandoffAccepted,
  HandoffRejected,
  LeadHandedOff,
  LeadReassigned,
  SlaBreached,
} from '../../domain/lead/events';
import type { DocChange, Value } from '../../readstore/port';
import type { Projection, ProjectionEvent } from '../projection';

/**
 * `reps`: one document per sales rep met in a handoff, with running totals of what was
 * addressed to them and how they answered (the owner on a lead page, a rep inbox header).
 * Reps are actors, not registered entities: a rep exists here from their first handoff.
 */

export const REPS = 'reps';

export type RepDoc = {
  _id: string;
  repId: string;
  /** The team of the latest handoff addressed to the rep. */
  team?: string | null;
  handoffsReceived?: number;
  accepted?: number;
  rejected?: number;
  breaches?: number;
  reassignedIn?: number;
  reassignedOut?: number;
  lastHandoffAt?: string | null;
};

const change = (repId: string, counters: Record<string, number>, fields = {}): DocChange[] => [
  {
    collection: REPS,
    id: repId,
    op: {
      kind: 'setOnInsert',
      // Only the id: counters start missing (read as 0), so a batch's `inc` never meets them.
      fields: { repId },
    },
  },
  { collection: REPS, id: repId, op: { kind: 'inc', fields: counters } },
  ...(Object.keys(fields).length
    ? [{ collection: REPS, id: repId, op: { kind: 'set' as const, fields } }]
    : []),
];

const project = (event: ProjectionEvent): DocChange[] => {
  switch (event.type) {
    case 'LeadHandedOff': {
      const d = event.data as LeadHandedOff;
      const fields: Record<string, Value> = { team: d.team, lastHandoffAt: event.occurredAt };
      return change(d.repId, { handoffsReceived: 1 }, fields);
    }
    case 'HandoffAccepted':
      return change((event.data as HandoffAccepted).repId, { accepted: 1 });
    case 'HandoffRejected':
      return change((event.data as HandoffRejected).repId, { rejected: 1 });
    case 'SlaBreached':
      return change((event.data as SlaBreached).ownerRepId, { breaches: 1 });
    case 'LeadReassigned': {
      const d = event.data as LeadReassigned;
      return [
        ...change(d.fromRepId, { reassignedOut: 1 }),
        ...change(d.toRepId, { reassignedIn: 1 }),
      ];
    }
    default:
      return [];
  }
};

export const repsProjection: Projection = {
  name: 'reps',
  version: 1,
  collections: [{ name: REPS, indexes: [{ fields: ['team'] }] }],
  handles: new Set([
    'LeadHandedOff',
    'HandoffAccepted',
    'HandoffRejected',
    'SlaBreached',
    'LeadReassigned',
  ]),
  project,
};
