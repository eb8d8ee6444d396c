import { LEAD_PII_FIELDS } from '../../domain/lead/events';
import { EVENT_TYPES } from '../../domain/registry';
import type { DocChange, Value } from '../../readstore/port';
import type { Projection, ProjectionEvent } from '../projection';

/**
 * `auditTrail`: one document per domain event, keyed by its log position, indexed by actor and
 * recorded time, so "everything actor X recorded between t1 and t2" is one indexed range read
 * however long the log. The ledger's own anchors are left out (they are not anyone's command).
 *
 * Personal data never reaches this read model: the registry's PII fields of an event are left
 * out of `data` and named in `redacted`; readers allowed to see them get them from the event
 * store (see the auditTrail resolver), so erasing a lead needs nothing from this projection.
 */

export const AUDIT_TRAIL = 'audit_trail';

export type AuditTrailDoc = {
  _id: string;
  position: string;
  streamId: string;
  revision: number;
  type: string;
  /** Business time. */
  occurredAt: string;
  /** When the store recorded it: what the trail's period filters on. */
  recordedAt: string;
  actorId: string;
  actorRoles: string[];
  correlationId: string | null;
  /** The event data (current schema) without its PII fields. */
  data: Value;
  /** PII fields the event holds a value in, left out of `data`. */
  redacted: string[];
};

/** What the runner passes beyond ProjectionEvent once it carries the actor's roles and the correlation id. */
type AuditedEvent = ProjectionEvent & {
  actorRoles?: readonly string[];
  correlationId?: string;
};

export const AUDITED_TYPES: ReadonlySet<string> = new Set(
  Object.entries(EVENT_TYPES)
    .filter(([, info]) => info.aggregate !== 'ledger')
    .map(([type]) => type),
);

const VAULT_FIELDS: Readonly<Record<string, readonly string[] | undefined>> = LEAD_PII_FIELDS;

/** An event type's personal data fields: the registry's, and those the PII vault encrypts. */
export const piiFieldsOf = (type: string): readonly string[] => {
  const registry = EVENT_TYPES[type]?.pii ?? [];
  const vault = VAULT_FIELDS[type] ?? [];
  return vault.length === 0 ? registry : [...new Set([...registry, ...vault])];
};

/** The data without its PII fields, and the names of those that held a value. */
export const withoutPii = (type: string, data: unknown): { data: Value; redacted: string[] } => {
  const pii = piiFieldsOf(type);
  if (!data || typeof data !== 'object' || Array.isArray(data) || pii.length === 0) {
    return { data: (data ?? null) as Value, redacted: [] };
  }
  const kept: Record<string, Value> = {};
  const redacted: string[] = [];
  for (const [field, value] of Object.entries(data as Record<string, Value>)) {
    if (!pii.includes(field)) kept[field] = value;
    else if (value !== null && value !== undefined) redacted.push(field);
  }
  return { data: kept, redacted };
};

/**
 * Changes whenever a PII list of the registry changes, so the runner rebuilds the trail without
 * a field newly marked personal (documents written before would still hold it).
 */
const piiVersion = (): number => {
  const lists = [...AUDITED_TYPES].sort().map((t) => `${t}:${piiFieldsOf(t).join(',')}`);
  let h = 0x811c9dc5;
  for (const ch of lists.join(';')) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h % 1_000_000;
};

export const auditTrailProjection: Projection = {
  name: 'auditTrail',
  /** Code version 1, times 10^6, plus the PII lists' fingerprint. */
  version: 2 * 1_000_000 + piiVersion(),
  collections: [
    {
      name: AUDIT_TRAIL,
      indexes: [
        { fields: ['actorId', 'recordedAt', 'position'] },
        { fields: ['recordedAt', 'position'] },
      ],
    },
  ],
  handles: AUDITED_TYPES,
  writeAhead: [AUDIT_TRAIL],
  project(event): DocChange[] {
    const e = event as AuditedEvent;
    const { data, redacted } = withoutPii(e.type, e.data);
    const doc: Omit<AuditTrailDoc, '_id'> = {
      position: e.position,
      streamId: e.streamId,
      revision: e.revision,
      type: e.type,
      occurredAt: e.occurredAt,
      recordedAt: e.recordedAt,
      actorId: e.actorId,
      actorRoles: [...(e.actorRoles ?? [])],
      correlationId: e.correlationId ?? null,
      data,
      redacted,
    };
    return [{ collection: AUDIT_TRAIL, id: e.position, op: { kind: 'set', fields: doc } }];
  },
};
