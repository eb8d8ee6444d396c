import type { SlaKind } from '../../domain/lead/events';
import type { ReadModelAccess } from '../projection';
import { SLA_DEADLINES, type DeadlineStatus, type SlaDeadlineDoc } from './projection';

export interface SlaDeadline {
  leadId: string;
  handoffId: string;
  kind: SlaKind;
  /** ISO-8601 UTC, exactly as written in LeadHandedOff. */
  deadline: string;
  status: DeadlineStatus;
}

const toDeadline = (doc: SlaDeadlineDoc): SlaDeadline => ({
  leadId: doc.leadId,
  handoffId: doc.handoffId,
  kind: doc.kind,
  deadline: doc.deadline,
  status: doc.status,
});

/** Open deadlines due at `now` (the deadline itself counts as passed), oldest first. */
export const dueDeadlines = async (
  rm: ReadModelAccess,
  now: string,
  limit: number,
): Promise<SlaDeadline[]> => {
  const docs = await rm.store.find(rm.collection(SLA_DEADLINES), {
    // Stored deadlines are normalised ISO strings, so string order is time order.
    filter: { where: { status: 'OPEN', deadline: { lte: new Date(now).toISOString() } } },
    sort: [{ field: 'deadline', direction: 'asc' }],
    limit,
  });
  return docs.map((doc) => toDeadline(doc as SlaDeadlineDoc));
};
