import { z } from 'zod';
import { isMasterKeyList, isMasterKeyText } from '../privacy/master-keys';

const optionalUrl = (schemes: string[]) =>
  z
    .string()
    .trim()
    .min(1)
    .refine((v) => schemes.some((s) => v.startsWith(`${s}://`)), {
      message: `must start with ${schemes.map((s) => `${s}://`).join(' or ')}`,
    })
    .optional();

const flag = z
  .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1');

const Env = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  /** Interface to listen on; unset: all, except in open dev mode (no JWT_SECRET): 127.0.0.1. */
  HOST: z.string().trim().min(1).optional(),
  DATA_DIR: z.string().trim().min(1).default('./data'),
  // The client (@eventstore/db-client 6) parses only these schemes; KurrentDB servers take them too.
  EVENTSTORE_URL: optionalUrl(['esdb', 'esdb+discover']),
  MONGODB_URI: optionalUrl(['mongodb', 'mongodb+srv']),
  MONGODB_DB: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{1,63}$/, 'letters, digits, _ and - only (at most 63)')
    .default('leadledger'),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Wraps the per-lead keys that encrypt personal data (32 bytes, base64); required in production. */
  MASTER_KEY: z.string().trim().refine(isMasterKeyText, 'must be 32 bytes in base64').optional(),
  /** Earlier master keys, comma-separated: they only unwrap data keys not yet rotated. */
  MASTER_KEY_PREVIOUS: z
    .string()
    .trim()
    .refine(isMasterKeyList, 'must be comma-separated keys of 32 bytes in base64')
    .optional(),
  SLA_MONITOR_INTERVAL_MS: z.coerce.number().int().min(100).default(5000),
  /** Introspection is on outside production; in production only when this says so. */
  GRAPHQL_INTROSPECTION: flag.optional(),
  MAX_QUERY_DEPTH: z.coerce.number().int().min(2).max(100).default(12),
  MAX_QUERY_ALIASES: z.coerce.number().int().min(0).max(1000).default(30),
  MAX_QUERY_COMPLEXITY: z.coerce.number().int().min(10).default(20_000),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /** Longest wait of a query's `consistentWith` before STALE. */
  CONSISTENCY_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(2000),
  /** /readyz fails while a projection lags more than this. */
  READY_MAX_LAG_SECONDS: z.coerce.number().min(0).default(60),
  /**
   * Projector leases (one writer per projection among processes sharing the read store): how
   * long one lasts unless renewed, i.e. how soon a standby takes over from a dead holder.
   */
  PROJECTOR_LEASE_MS: z.coerce.number().int().min(1000).max(600_000).default(10_000),
  /** HMAC key signing the ledger's anchors (docs/audit.md); unset: no anchors are written. */
  ANCHOR_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** How often the anchorer anchors the log if it moved. */
  ANCHOR_INTERVAL_MS: z.coerce.number().int().min(1000).default(60_000),
  /** pino level of the server's JSON log lines (stderr). */
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      message: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  /** OpenTelemetry spans per GraphQL operation, command and append; off: no OTel module loaded. */
  OTEL_ENABLED: flag.default(false),
  /** Read by the OTLP/HTTP exporter itself; checked here so a typo stops the start. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl(['http', 'https']),
});

export type Config = z.infer<typeof Env>;

/** The configuration was refused: `message` is one line naming the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads the configuration from the environment; empty strings count as unset. */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env): Config => {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = Env.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid ${issue.path.join('.')}: ${issue.message}`);
  }
  const config = parsed.data;
  if (config.NODE_ENV === 'production' && !config.JWT_SECRET) {
    throw new ConfigError('invalid JWT_SECRET: required when NODE_ENV=production');
  }
  if (config.NODE_ENV === 'production' && !config.MASTER_KEY) {
    throw new ConfigError('invalid MASTER_KEY: required when NODE_ENV=production');
  }
  return config;
};
