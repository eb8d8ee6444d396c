import { z } from 'zod';

export const CHANNELS = [
  'EMAIL',
  'PAID_SEARCH',
  'ORGANIC_SEARCH',
  'PAID_SOCIAL',
  'ORGANIC_SOCIAL',
  'EVENT',
  'WEBINAR',
  'CONTENT',
  'REFERRAL',
  'DIRECT',
  'CHAT',
  'OUTBOUND',
  'PARTNER',
] as const;
export const Channel = z.enum(CHANNELS);
export type Channel = z.infer<typeof Channel>;

export const SEGMENTS = ['SMB', 'MID_MARKET', 'ENTERPRISE'] as const;
export const Segment = z.enum(SEGMENTS);
export type Segment = z.infer<typeof Segment>;

export const STAGES = [
  'LEAD',
  'MQL',
  'HANDED_OFF',
  'SAL',
  'SQL',
  'OPPORTUNITY',
  'WON',
  'LOST',
  'RECYCLED',
  'DISQUALIFIED',
] as const;
export const Stage = z.enum(STAGES);
export type Stage = z.infer<typeof Stage>;

export const ROLES = ['MARKETING', 'SALES', 'ANALYST', 'AUDITOR', 'ADMIN'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

/** Actor and rep ids come from the token's `sub` claim, so they are not restricted like `Id`. */
export const ActorId = z.string().min(1).max(200);
export const Actor = z.object({ id: ActorId, roles: z.array(Role) });
export type Actor = z.infer<typeof Actor>;

/** Identifiers are opaque strings; kept short and printable so they can name streams. */
export const Id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/, 'letters, digits and . _ : @ - only');

/** ISO-8601 instant, normalised to UTC with milliseconds. */
export const Instant = z.iso.datetime({ offset: true }).transform((s) => new Date(s).toISOString());

export const ISO_CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));
export const Currency = z
  .string()
  .refine((c) => ISO_CURRENCIES.has(c), { message: 'must be an ISO 4217 currency code' });

/** A strictly positive, finite amount of money in major units. */
export const Amount = z.number().finite().positive().max(1e13);

export const ShortText = z.string().trim().max(2000);

/** Free text that must say something (reasons). */
export const Reason = z.string().trim().min(1).max(2000);

/** A short human label (names, teams, model versions). */
export const Label = z.string().trim().min(1).max(200);
/** A phone number as people write it: digits with an optional +, spaces, dots, dashes, (). */
export const Phone = z
  .string()
  .trim()
  .regex(/^\+?[0-9][0-9 ().-]{3,30}[0-9]$/, 'must be a phone number: digits, +, spaces, . - ( )');

export const Email = z.string().trim().toLowerCase().pipe(z.email().max(320));

/** An optional input: absent or null both become null, so events have one shape. */
export const orNull = <T extends z.ZodType>(schema: T) =>
  schema.nullish().transform((v): z.output<T> | null => v ?? null);
