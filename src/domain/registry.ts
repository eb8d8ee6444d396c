import type { z } from 'zod';
import type { AggregateName } from './shared/command-spec';
import { ValidationError } from './shared/errors';
import { CAMPAIGN_EVENTS } from './campaign/events';
import { DEAL_EVENTS } from './deal/events';
import { GOALS_EVENTS } from './goals/events';
import { LEAD_EVENTS } from './lead/events';
import { SLA_EVENTS } from './sla/events';
import { UPCASTERS } from './upcasting';
import { LEDGER_EVENTS } from '../audit/events';

export interface EventTypeInfo {
  /** The version new events are written with; older ones are upcast to it on read. */
  schemaVersion: number;
  schema: z.ZodType;
  /** `ledger`: the ledger's own anchors (src/audit), written by no command. */
  aggregate: AggregateName | 'ledger';
  /** Data fields holding personal data: encrypted per lead, scrubbed when it is forgotten. */
  pii: readonly string[];
}

const entries = (
  aggregate: EventTypeInfo['aggregate'],
  schemas: Record<string, z.ZodType>,
  versions: Record<string, number> = {},
  pii: Record<string, readonly string[]> = {},
): Record<string, EventTypeInfo> =>
  Object.fromEntries(
    Object.entries(schemas).map(([type, schema]) => [
      type,
      { schemaVersion: versions[type] ?? 1, schema, aggregate, pii: pii[type] ?? [] },
    ]),
  );

export const EVENT_TYPES: Readonly<Record<string, EventTypeInfo>> = {
  ...entries('lead', LEAD_EVENTS, { LeadCaptured: 2 }, { LeadCaptured: ['email', 'name'] }),
  ...entries('deal', DEAL_EVENTS),
  ...entries('slaAgreement', SLA_EVENTS),
  ...entries('campaign', CAMPAIGN_EVENTS),
  ...entries('goals', GOALS_EVENTS),
  ...entries('ledger', LEDGER_EVENTS),
};

const infoOf = (type: string): EventTypeInfo => {
  const info = EVENT_TYPES[type];
  if (!info) throw new ValidationError([{ path: 'type', message: `unknown event type ${type}` }]);
  return info;
};

export const currentSchemaVersion = (type: string): number => infoOf(type).schemaVersion;

/** Checks an event's data against its current schema; returns the normalised data. */
export const validateEvent = (type: string, data: unknown): unknown => {
  const parsed = infoOf(type).schema.safeParse(data);
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    parsed.error.issues.map((issue) => ({
      path: ['data', ...issue.path.map(String)].join('.'),
      message: issue.message,
    })),
  );
};

export interface VersionedData {
  schemaVersion: number;
  data: unknown;
}

/** Current-version data of a stored event; unknown types pass through (deciders ignore them). */
export const upcast = (event: { type: string } & VersionedData): VersionedData => {
  const current = EVENT_TYPES[event.type]?.schemaVersion;
  if (current === undefined) return { schemaVersion: event.schemaVersion, data: event.data };
  if (event.schemaVersion > current) {
    throw new Error(`${event.type} v${event.schemaVersion} is newer than this code (v${current})`);
  }
  let { schemaVersion, data } = event;
  while (schemaVersion < current) {
    const step = UPCASTERS[event.type]?.[schemaVersion];
    if (!step) throw new Error(`no upcaster for ${event.type} v${schemaVersion}`);
    data = step(data);
    schemaVersion += 1;
  }
  return { schemaVersion, data };
};
