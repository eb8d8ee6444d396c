import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { Kind } from 'graphql';
import type { GraphQLContext } from '../graphql/context';
import { errorCodeOf, ErrorCode } from '../graphql/errors';
import { secondsSince, type Metrics } from './metrics';

/**
 * Apollo's request lifecycle, observed: the operation's name and type on the context (access log)
 * and on the span, errors counted by code, unexpected ones reported with the request they broke,
 * and the operation's duration by type, name and first root field.
 */
export const observabilityPlugin = ({
  metrics,
  reportInternal,
}: {
  metrics: Metrics;
  /** Called with the real error behind each error answered as INTERNAL. */
  reportInternal: (error: unknown, context: GraphQLContext) => void;
}): ApolloServerPlugin<GraphQLContext> => ({
  requestDidStart() {
    const started = process.hrtime.bigint();
    return Promise.resolve({
      didResolveOperation({ operation, contextValue }) {
        const { observed } = contextValue;
        if (!operation) return Promise.resolve();
        const name = operation.name?.value ?? null;
        observed.operationName = name;
        observed.operationType = operation.operation;
        observed.span.update(name ? `${operation.operation} ${name}` : operation.operation, {
          'graphql.operation.type': operation.operation,
          'graphql.operation.name': name,
        });
        return Promise.resolve();
      },
      didEncounterErrors({ errors, contextValue }) {
        for (const error of errors) {
          const code = errorCodeOf(error);
          metrics.graphqlErrors.inc({ code });
          contextValue.observed.errorCodes.push(code);
          if (code === ErrorCode.INTERNAL) reportInternal(unwrapResolverError(error), contextValue);
        }
        const first = contextValue.observed.errorCodes[0];
        if (first) contextValue.observed.span.fail(first);
        return Promise.resolve();
      },
      willSendResponse({ operation, contextValue }) {
        const root = operation?.selectionSet.selections[0];
        const field = root?.kind === Kind.FIELD ? root.name.value : 'unknown';
        // Names sent without a valid token do not get a series of their own.
        let label = 'unknown';
        if (operation && !contextValue.actor) label = 'unauthenticated';
        else if (operation) label = metrics.operationLabel(operation.name?.value ?? null);
        metrics.operationDuration.observe(
          { type: operation?.operation ?? 'unknown', operation: label, field },
          secondsSince(started),
        );
        return Promise.resolve();
      },
    });
  },
});
