import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

/** ISO-8601 with a date, a time and an offset (`Z` or `±hh:mm`), as the domain's `Instant`. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

const parseInstant = (value: unknown): string => {
  if (typeof value !== 'string' || !ISO_INSTANT.test(value) || Number.isNaN(Date.parse(value))) {
    throw new GraphQLError('DateTime must be an ISO-8601 string with a time zone offset', {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return new Date(value).toISOString();
};

/**
 * An instant as an ISO-8601 string. Inputs are normalised to UTC (`…Z`); values stay strings in
 * resolvers, as they are in events and read models.
 */
export const DateTimeScalar = new GraphQLScalarType<string, string>({
  name: 'DateTime',
  description: 'An instant, ISO-8601 with offset, e.g. 2026-07-01T09:30:00Z.',
  serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  parseValue: parseInstant,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) {
      throw new GraphQLError('DateTime must be a string', {
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
    return parseInstant(ast.value);
  },
});

export { GraphQLJSON as JSONScalar } from 'graphql-scalars';
