import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ForbiddenError } from '../commands/errors';
import { DomainRuleError, NotFoundError, ValidationError } from '../domain/shared/errors';
import { ConcurrencyError, IdempotencyKeyReusedError } from '../eventstore/port';
import { InvalidPageError } from '../projections/connection';

/** The codes API.md promises in `extensions.code` (plus STALE and TIMEOUT, which it names). */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  DOMAIN_RULE: 'DOMAIN_RULE',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  STALE: 'STALE',
  TIMEOUT: 'TIMEOUT',
  INTERNAL: 'INTERNAL',
} as const;

/** Codes of errors that are safe to show as they are (ours, and graphql-js / Apollo's own). */
const PUBLIC_CODES: ReadonlySet<unknown> = new Set([
  ...Object.values(ErrorCode),
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

export const userInputError = (message: string, fields: Array<{ path: string; message: string }>) =>
  new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, fields } });

export const staleError = (position: string, waitedMs: number) =>
  new GraphQLError(
    `the read models did not reach position ${position} within ${waitedMs} ms; retry later`,
    { extensions: { code: ErrorCode.STALE, position } },
  );

export const unauthenticated = (message = 'a valid bearer token is required') =>
  new GraphQLError(message, {
    extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } },
  });

export const forbidden = (message: string) =>
  new GraphQLError(message, { extensions: { code: ErrorCode.FORBIDDEN } });

/** A domain or adapter error as the GraphQL error API.md specifies; undefined when unknown. */
const fromKnown = (error: unknown): GraphQLError | undefined => {
  if (error instanceof ValidationError) return userInputError(error.message, error.fields);
  if (error instanceof DomainRuleError) {
    return new GraphQLError(error.message, {
      extensions: { code: ErrorCode.DOMAIN_RULE, rule: error.rule },
    });
  }
  if (error instanceof NotFoundError) {
    return new GraphQLError(error.message, {
      extensions: { code: ErrorCode.NOT_FOUND, entity: error.entity, id: error.id },
    });
  }
  if (error instanceof ConcurrencyError) {
    return new GraphQLError(error.message, {
      extensions: {
        code: ErrorCode.CONFLICT,
        streamId: error.streamId,
        expectedVersion: typeof error.expected === 'number' ? error.expected : null,
        actualVersion: error.actual,
      },
    });
  }
  if (error instanceof IdempotencyKeyReusedError) {
    return userInputError(error.message, [{ path: 'idempotencyKey', message: error.message }]);
  }
  if (error instanceof ForbiddenError) return forbidden(error.message);
  if (error instanceof InvalidPageError) {
    return userInputError(error.message, [{ path: '(page)', message: error.message }]);
  }
  return undefined;
};

/** graphql-js names the bad variable field in its message: `… at "input.email"; …`. */
const coercionFields = (message: string): Array<{ path: string; message: string }> => {
  const at = /at "([^"]+)"/.exec(message);
  const variable = /^Variable "\$([^"]+)"/.exec(message);
  return [{ path: at?.[1] ?? variable?.[1] ?? '(input)', message }];
};

/**
 * An error graphql-js or Apollo raised about the request itself (variables it could not coerce,
 * a persisted-query hash mismatch): no code, no cause, not from a resolver. Its message is theirs,
 * about the request, safe to show.
 */
const isRequestError = (error: unknown): error is GraphQLError =>
  error instanceof GraphQLError && !error.originalError && error.path === undefined;

/** The code a client sees for an error (what `formatError` answers), e.g. for metrics. */
export const errorCodeOf = (error: unknown): string => {
  const original = unwrapResolverError(error);
  const known = fromKnown(original);
  if (known) return known.extensions.code as string;
  let code = error instanceof GraphQLError ? error.extensions.code : undefined;
  if (code === 'UNAUTHORIZED') code = ErrorCode.FORBIDDEN; // type-graphql's AuthorizationError
  if (code === undefined && isRequestError(error)) {
    return error.message.startsWith('Too many errors processing variables')
      ? ErrorCode.BAD_USER_INPUT
      : 'BAD_REQUEST';
  }
  return typeof code === 'string' && PUBLIC_CODES.has(code) ? code : ErrorCode.INTERNAL;
};

export interface ErrorFormatterOptions {
  /** Where errors that are masked as INTERNAL are reported (with their stack). */
  log: (error: unknown) => void;
}

/**
 * Apollo's `formatError`: known errors get their API.md code and details; everything else is
 * logged and masked as INTERNAL with no stack, driver text or path to our code.
 */
export const createErrorFormatter =
  ({ log }: ErrorFormatterOptions) =>
  (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const known = fromKnown(original);
    const base = {
      message: formatted.message,
      locations: formatted.locations,
      path: formatted.path,
    };
    if (known) return { ...base, message: known.message, extensions: { ...known.extensions } };

    const code = errorCodeOf(error);
    if (code === ErrorCode.INTERNAL) {
      log(original);
      return { ...base, message: 'Internal error', extensions: { code } };
    }
    const extensions: Record<string, unknown> = { ...formatted.extensions, code };
    delete extensions.stacktrace;
    delete extensions.http; // transport detail, already applied to the HTTP status
    if (code === ErrorCode.BAD_USER_INPUT && !extensions.fields) {
      extensions.fields = coercionFields(formatted.message);
    }
    return { ...base, extensions };
  };
