import type { ApolloServerPlugin } from '@apollo/server';
import {
  getVariableValues,
  GraphQLError,
  Kind,
  visit,
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

type Shape = { depth: number; aliases: number; introspectionDepth: number };

/**
 * Introspection nests by the schema's shape, not the data's: graphql-js's standard introspection
 * query (GraphiQL, codegen, IDE plugins) is 15 deep. Its fields are measured apart, against this.
 */
const INTROSPECTION = new Set(['__schema', '__type']);
const INTROSPECTION_MAX_DEPTH = 20;
const NONE: Shape = { depth: 0, aliases: 0, introspectionDepth: 0 };

/**
 * Depth and alias count of the operation's selection as executed (fragments expanded), computed
 * bottom-up with each fragment measured once: a document whose spreads fan out exponentially is
 * measured in time proportional to its size, and its huge expanded counts refuse it.
 */
const measure = (
  operation: OperationDefinitionNode,
  fragments: Map<string, FragmentDefinitionNode>,
): Shape => {
  const measured = new Map<string, Shape>();
  const visiting = new Set<string>();
  const fragment = (name: string): Shape => {
    const known = measured.get(name);
    if (known) return known;
    const definition = fragments.get(name);
    // Unknown or cyclic spreads are refused by validation; nothing to count here.
    if (!definition || visiting.has(name)) return NONE;
    visiting.add(name);
    const shape = selection(definition.selectionSet);
    visiting.delete(name);
    measured.set(name, shape);
    return shape;
  };
  const selection = (set: SelectionSetNode): Shape => {
    let depth = 0;
    let aliases = 0;
    let introspectionDepth = 0;
    for (const node of set.selections) {
      let inner: Shape;
      if (node.kind === Kind.FIELD) {
        const below = node.selectionSet ? selection(node.selectionSet) : NONE;
        if (INTROSPECTION.has(node.name.value)) {
          const nested = Math.max(below.depth, below.introspectionDepth) + 1;
          introspectionDepth = Math.max(introspectionDepth, nested);
          continue;
        }
        if (node.alias) aliases += 1;
        inner = { ...below, depth: below.depth + 1 };
      } else if (node.kind === Kind.INLINE_FRAGMENT) {
        inner = selection(node.selectionSet);
      } else {
        inner = fragment(node.name.value);
      }
      depth = Math.max(depth, inner.depth);
      aliases += inner.aliases;
      introspectionDepth = Math.max(introspectionDepth, inner.introspectionDepth);
    }
    return { depth, aliases, introspectionDepth };
  };
  return selection(operation.selectionSet);
};

/** Connections (fields taking `first`) cost their page size times their children, 20 by default. */
const connectionEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (!field.args.some((a) => a.name === 'first')) return undefined;
  const size: unknown = args.first ?? args.last;
  const n = typeof size === 'number' && size >= 0 ? size : DEFAULT_PAGE_SIZE;
  return 1 + Math.max(n, 1) * childComplexity;
};

/** Apollo reuses parsed documents: their shape is measured once per document and operation. */
const shapes = new WeakMap<DocumentNode, Map<OperationDefinitionNode, Shape>>();
const shapeOf = (document: DocumentNode, operation: OperationDefinitionNode) => {
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
    shape = measure(operation, fragments);
    known.set(operation, shape);
  }
  return shape;
};

/**
 * What an operation's cost depends on besides its document: the variables given to `first` or
 * `last` (page sizes) and to directives (`@include`, `@skip`). The estimate reads nothing else,
 * so a cost found within a limit holds for any request that gives these the same values.
 */
interface Costs {
  schema: GraphQLSchema;
  variables: string[];
  /** Keys (those variables' values) whose cost was within the limit. */
  passed: Set<string>;
}
/** Distinct passing values kept per document and operation (then forgotten all at once). */
const PASSED_COSTS = 256;
const costsByDocument = new WeakMap<DocumentNode, Map<string, Costs>>();

const costsOf = (
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
): Costs => {
  let byOperation = costsByDocument.get(document);
  if (!byOperation) {
    byOperation = new Map();
    costsByDocument.set(document, byOperation);
  }
  const name = operationName ?? '';
  let costs = byOperation.get(name);
  if (!costs || costs.schema !== schema) {
    const variables = new Set<string>();
    const collect = (node: Parameters<typeof visit>[0]) =>
      visit(node, {
        Variable(variable) {
          variables.add(variable.name.value);
        },
      });
    // The whole document, fragments included: a spread may bring a page size from anywhere.
    visit(document, {
      VariableDefinition: () => false,
      Field(field) {
        for (const argument of field.arguments ?? []) {
          if (argument.name.value === 'first' || argument.name.value === 'last') {
            collect(argument.value);
          }
        }
      },
      Directive(directive) {
        collect(directive);
        return false;
      },
    });
    costs = { schema, variables: [...variables].sort(), passed: new Set() };
    byOperation.set(name, costs);
  }
  return costs;
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
  const { depth, aliases, introspectionDepth } = shapeOf(document, operation);
  if (introspectionDepth > INTROSPECTION_MAX_DEPTH) {
    throw tooComplex(`the introspection query is nested deeper than ${INTROSPECTION_MAX_DEPTH}`, {
      maxDepth: INTROSPECTION_MAX_DEPTH,
    });
  }
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
  // A cost already found within the limit for the same values of the variables it depends on.
  const costs = costsOf(schema, document, operationName);
  const costKey = JSON.stringify([
    limits.maxComplexity,
    ...costs.variables.map((name) =>
      variables && Object.hasOwn(variables, name) ? [variables[name]] : [],
    ),
  ]);
  if (costs.passed.has(costKey)) return;
  // Variables that do not coerce: execution refuses them with BAD_USER_INPUT, running nothing.
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {}, {
    maxErrors: 1,
  });
  if (coerced.errors) return;
  let complexity: number;
  try {
    complexity = getComplexity({
      schema,
      query: document,
      operationName: operationName ?? undefined,
      variables: variables ?? {},
      estimators: [connectionEstimator, simpleEstimator({ defaultComplexity: 1 })],
    });
  } catch (error) {
    // Anything else that stops the estimate (e.g. its node limit) is a query too big to run.
    throw tooComplex(
      `the query is too large to estimate: ${error instanceof Error ? error.message : String(error)}`,
      { maxComplexity: limits.maxComplexity },
    );
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
  if (costs.passed.size >= PASSED_COSTS) costs.passed.clear();
  costs.passed.add(costKey);
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
