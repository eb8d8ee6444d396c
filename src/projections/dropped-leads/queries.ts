import type { Doc } from '../../readstore/port';
import { findConnection, type Connection, type Ordering, type PageArgs } from '../connection';
import type { ReadModelAccess } from '../projection';
import { DROPPED_LEADS, type DroppedLeadDoc, type HandoffRecord } from './projection';

export interface DroppedLeadsArgs extends PageArgs {
  /** Dropped at or after (inclusive). */
  from: string;
  /** Dropped before (exclusive). */
  to: string;
}

export type DroppedLead = Omit<HandoffRecord, 'dropId'>;

/** Latest drop first. */
const DROP_ORDER: Ordering = {
  name: 'droppedLeads',
  keys: [
    { field: 'droppedAt', direction: 'desc' },
    { field: 'dropId', direction: 'desc' },
  ],
};

const toDropped = (doc: Doc): DroppedLead => {
  const { _id, _pos, dropId: _key, ...dropped } = doc as unknown as DroppedLeadDoc;
  return dropped;
};

/** Handoffs first dropped in [from, to): rejected, breached or left without contact. */
export const listDroppedLeads = (
  access: ReadModelAccess,
  args: DroppedLeadsArgs,
): Promise<Connection<DroppedLead>> =>
  findConnection(
    access.store,
    access.collection(DROPPED_LEADS),
    {
      where: {
        droppedAt: { gte: new Date(args.from).toISOString(), lt: new Date(args.to).toISOString() },
      },
    },
    DROP_ORDER,
    args,
    toDropped,
  );
