import type { Condition, Doc, Filter } from '../../readstore/port';
import { findConnection, type Connection, type Ordering, type PageArgs } from '../connection';
import type { ReadModelAccess } from '../projection';
import { AUDIT_TRAIL, type AuditTrailDoc } from './projection';

export interface AuditTrailFilter {
  /** Events recorded for this actor (the token's `sub` of the request that wrote them). */
  actorId?: string | null;
  /** Recorded at or after (inclusive). */
  from?: string | null;
  /** Recorded before (exclusive). */
  to?: string | null;
  /** Only these event types. */
  types?: string[] | null;
}

export type AuditTrailEntry = Omit<AuditTrailDoc, '_id'>;

/** In the order they were recorded; the position (unique) breaks ties. */
const TRAIL_ORDER: Ordering = {
  name: 'auditTrail',
  keys: [
    { field: 'recordedAt', direction: 'asc' },
    { field: 'position', direction: 'asc' },
  ],
};

export const auditTrailFilter = (filter: AuditTrailFilter = {}): Filter => {
  const where: Record<string, Condition> = {};
  if (filter.actorId) where.actorId = filter.actorId;
  if (filter.from || filter.to) {
    where.recordedAt = {
      ...(filter.from ? { gte: new Date(filter.from).toISOString() } : {}),
      ...(filter.to ? { lt: new Date(filter.to).toISOString() } : {}),
    };
  }
  if (filter.types) where.type = { in: filter.types };
  return { where };
};

const toEntry = (doc: Doc): AuditTrailEntry => {
  const { _id, _pos, ...entry } = doc as unknown as AuditTrailDoc & { _pos?: string };
  return entry;
};

/** The events an actor's commands recorded (or everyone's), keyset-paginated in recorded order. */
export const listAuditTrail = (
  access: ReadModelAccess,
  args: PageArgs & { filter?: AuditTrailFilter | null } = {},
): Promise<Connection<AuditTrailEntry>> =>
  findConnection(
    access.store,
    access.collection(AUDIT_TRAIL),
    auditTrailFilter(args.filter ?? {}),
    TRAIL_ORDER,
    args,
    toEntry,
  );
