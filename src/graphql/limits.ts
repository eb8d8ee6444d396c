import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import { DEFAULT_PAGE_SIZE } from '../projections/connection';
import { ErrorCode } from './errors';

export interface QueryLimits {
  /** Deepest field nesting (fragments expanded). */
  maxDepth: number;
  /** Most aliased fields in one operation. */
  maxAliases: number;
  /** Highest estimated cost: one per field, times the page size below connections. */
  maxComplexity: number;
}

export const DEFAULT_LIMITS: QueryLimits = { maxDepth: 12, maxAliases: 30, maxComplexity: 20_000 };

const tooComplex = (message: string, details: Record<string, number>) =>
  new GraphQLError(message, {
    extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, ...details, http: { status: 400 } },
  });

/** Depth and alias count of the operation's selection, fragments expanded (cycles are invalid). */
const measure = (
  operation: OperationDefinitionNode,
  fragments: Map<string, FragmentDefinitionNode>,
  maxDepth: number,
): { depth: number; aliases: number } => {
  let aliases = 0;
  let depth = 0;
  const walk = (set: SelectionSetNode, level: number, seen: ReadonlySet<string>) => {
    if (level > maxDepth + 1) return; // already over: no need to walk a bomb to its end
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.alias) aliases += 1;
        if (selection.selectionSet) {
          depth = Math.max(depth, level + 1);
          walk(selection.selectionSet, level + 1, seen);
        } else depth = Math.max(depth, level);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet, level, seen);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (fragment && !seen.has(name))
          walk(fragment.selectionSet, level, new Set([...seen, name]));
      }
    }
  };
  walk(operation.selectionSet, 1, new Set());
  return { depth, aliases };
};

/** Connections (fields taking `first`) cost their page size times their children, 20 by default. */
const connectionEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (!field.args.some((a) => a.name === 'first')) return undefined;
  const size: unknown = args.first ?? args.last;
  const n = typeof size === 'number' && size >= 0 ? size : DEFAULT_PAGE_SIZE;
  return 1 + Math.max(n, 1) * childComplexity;
};

type Shape = { depth: number; aliases: number };

/** Apollo reuses parsed documents: their shape is measured once per document and operation. */
const shapes = new WeakMap<DocumentNode, Map<OperationDefinitionNode, Shape>>();
const shapeOf = (document: DocumentNode, operation: OperationDefinitionNode, maxDepth: number) => {
  let known = shapes.get(document);
  if (!known) {
    known = new Map<OperationDefinitionNode, Shape>();
    shapes.set(document, known);
  }
  let shape = known.get(operation);
  if (!shape) {
    const fragments = new Map(
      document.definitions
        .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
        .map((f) => [f.name.value, f]),
    );
    shape = measure(operation, fragments, maxDepth);
    known.set(operation, shape);
  }
  return shape;
};

const selectOperation = (document: DocumentNode, name: string | null | undefined) =>
  document.definitions.find(
    (d): d is OperationDefinitionNode =>
      d.kind === Kind.OPERATION_DEFINITION && (!name || d.name?.value === name),
  );

/** Measures an operation; throws QUERY_TOO_COMPLEX when over a limit. */
export const checkLimits = (
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | undefined,
  limits: QueryLimits,
): void => {
  const operation = selectOperation(document, operationName);
  if (!operation) return;
  const { depth, aliases } = shapeOf(document, operation, limits.maxDepth);
  if (depth > limits.maxDepth) {
    throw tooComplex(`the query is nested deeper than ${limits.maxDepth} levels`, {
      maxDepth: limits.maxDepth,
    });
  }
  if (aliases > limits.maxAliases) {
    throw tooComplex(`the query uses more than ${limits.maxAliases} aliases`, {
      aliases,
      maxAliases: limits.maxAliases,
    });
  }
  let complexity: number;
  try {
    complexity = getComplexity({
      schema,
      query: document,
      operationName: operationName ?? undefined,
      variables: variables ?? {},
      estimators: [connectionEstimator, simpleEstimator({ defaultComplexity: 1 })],
    });
  } catch {
    // Variables that do not coerce: execution refuses them with BAD_USER_INPUT, running nothing.
    return;
  }
  if (complexity > limits.maxComplexity) {
    throw tooComplex(
      `the query costs ${complexity}, more than the limit of ${limits.maxComplexity}`,
      {
        complexity,
        maxComplexity: limits.maxComplexity,
      },
    );
  }
};

/** Refuses operations over the limits before any resolver runs. */
export const queryLimitsPlugin = (limits: QueryLimits): ApolloServerPlugin => ({
  requestDidStart() {
    return Promise.resolve({
      didResolveOperation({ schema, document, request }) {
        checkLimits(schema, document, request.operationName, request.variables, limits);
        return Promise.resolve();
      },
    });
  },
});
