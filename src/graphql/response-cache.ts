import { HeaderMap, type ApolloServerPlugin, type GraphQLResponse } from '@apollo/server';
import { Kind, OperationTypeNode, type OperationDefinitionNode } from 'graphql';
import type { GraphQLContext } from './context';
import { WeightedLru } from './lru';

/**
 * Root fields whose answer is a function of the read models, the arguments and the actor only
 * (no clock, no event store): a repeated request for them is answered from a cache while the
 * read models are unchanged.
 */
const CACHEABLE_ROOT_FIELDS: ReadonlySet<string> = new Set(['funnel', 'leads', 'lead']);

/** Answers kept at most (least recently used dropped first)... */
const DEFAULT_CAPACITY = 500;
/** ...and their size at most, as JSON (an answer larger than an eighth of it is not kept). */
const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;

interface Entry {
  version: number;
  body: GraphQLResponse['body'];
}

/**
 * Whether an operation may be answered from the cache: a query of cacheable root fields only,
 * none of them waiting for a position (`consistentWith` goes through execution, which waits).
 */
const cacheable = (
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
): boolean => {
  if (operation.operation !== OperationTypeNode.QUERY) return false;
  const defaults = new Map(
    (operation.variableDefinitions ?? []).map((d) => [d.variable.name.value, d.defaultValue]),
  );
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) return false;
    if (selection.name.value === '__typename') continue;
    if (!CACHEABLE_ROOT_FIELDS.has(selection.name.value)) return false;
    for (const argument of selection.arguments ?? []) {
      if (argument.name.value !== 'consistentWith') continue;
      const { value } = argument;
      if (value.kind === Kind.NULL) continue;
      if (value.kind !== Kind.VARIABLE) return false;
      const name = value.name.value;
      const given = variables?.[name];
      if (given !== undefined && given !== null) return false;
      const fallback = defaults.get(name);
      if (given === undefined && fallback && fallback.kind !== Kind.NULL) return false;
    }
  }
  return true;
};

/**
 * Whole answers of repeated read-model queries (a dashboard polling its funnel, a rep's lead
 * inbox), keyed by the query, the operation, the variables and the actor (id and roles: masked
 * and unmasked answers are apart), and valid for the read models' version they were computed at
 * (`version()`, see result-cache.ts): any commit to the read models is a miss. Only answers
 * without errors are kept. Authentication, the limits and the operation's metrics run as for
 * any request; only execution is skipped.
 */
export const responseCachePlugin = (
  version: () => number,
  { capacity = DEFAULT_CAPACITY, maxBytes = DEFAULT_MAX_BYTES } = {},
): ApolloServerPlugin<GraphQLContext> => {
  const entries = new WeightedLru<Entry>(capacity, maxBytes, true);
  return {
    requestDidStart() {
      let key: string | undefined;
      let at = 0;
      return Promise.resolve({
        responseForOperation({ operation, request, contextValue, queryHash }) {
          const { actor } = contextValue;
          // (No operation: Apollo lets execution report that.)
          if (!actor || !operation || !cacheable(operation, request.variables)) {
            return Promise.resolve(null);
          }
          key = JSON.stringify([
            queryHash,
            request.operationName ?? null,
            request.variables ?? null,
            actor.id,
            actor.roles,
          ]);
          at = version();
          const entry = entries.get(key);
          if (!entry || entry.version !== at) return Promise.resolve(null);
          return Promise.resolve({ http: { headers: new HeaderMap() }, body: entry.body });
        },
        willSendResponse({ response }) {
          const { body } = response;
          if (key === undefined || body.kind !== 'single') return Promise.resolve();
          if (body.singleResult.errors?.length || response.http.status !== undefined) {
            return Promise.resolve();
          }
          const known = entries.get(key);
          if (known?.version === at) return Promise.resolve();
          entries.delete(key);
          // Measured once, when kept (a miss): UTF-16 length, near enough to bytes for a bound.
          const bytes = JSON.stringify(body.singleResult).length;
          if (bytes > maxBytes / 8) return Promise.resolve();
          entries.set(key, { version: at, body }, bytes);
          return Promise.resolve();
        },
      });
    },
  };
};
