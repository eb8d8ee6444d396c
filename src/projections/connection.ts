import type { Doc, Filter, ReadStore, Scalar, SortKey } from '../readstore/port';

/**
 * Relay-style connections over the read store with keyset pagination: a cursor is the
 * base64url JSON of the sort's name and the edge's sort values, so a page is one indexed range
 * read however deep it is, and a cursor from another ordering is refused.
 */

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Connection<T> {
  edges: Array<Edge<T>>;
  pageInfo: PageInfo;
  totalCount: number;
}

/** Page arguments that cannot be served (bad cursor, negative size, first with last). */
export class InvalidPageError extends Error {
  override readonly name = 'InvalidPageError';
}

export const DEFAULT_PAGE_SIZE = 20;

/**
 * The ordering of a connection. Its last key must be unique among the documents the filter
 * can match (the store's own `_id` tie-breaker is always ascending, so it cannot serve the
 * reversed order of a backward page).
 */
export interface Ordering {
  name: string;
  keys: SortKey[];
}

const fieldValue = (doc: Doc, path: string): Scalar => {
  let node: unknown = doc;
  for (const part of path.split('.')) {
    node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
  }
  return typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean'
    ? node
    : null;
};

/** Keyset values the store's `after` expects: the sort values, then `_id`. */
const keysetOf = (doc: Doc, ordering: Ordering): Scalar[] => [
  ...ordering.keys.map((k) => fieldValue(doc, k.field)),
  doc._id,
];

const encodeCursor = (ordering: Ordering, keyset: Scalar[]): string =>
  Buffer.from(JSON.stringify([ordering.name, ...keyset]), 'utf8').toString('base64url');

const decodeCursor = (ordering: Ordering, cursor: string): Scalar[] => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidPageError('the cursor is not one this connection issued');
  }
  const isScalar = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);
  if (
    !Array.isArray(parsed) ||
    parsed[0] !== ordering.name ||
    parsed.length !== ordering.keys.length + 2 ||
    !parsed.every(isScalar)
  ) {
    throw new InvalidPageError('the cursor belongs to another ordering or connection');
  }
  return parsed.slice(1) as Scalar[];
};

const reversed = (keys: SortKey[]): SortKey[] =>
  keys.map((k) => ({ field: k.field, direction: k.direction === 'asc' ? 'desc' : 'asc' }));

const pageSize = (n: number | null | undefined, which: string): number | undefined => {
  if (n === null || n === undefined) return undefined;
  if (!Number.isInteger(n) || n < 0) {
    throw new InvalidPageError(`${which} must be a non-negative integer`);
  }
  return n;
};

/** Forward (first/after) or backward (last/before): mixing the two is refused. */
const checkArgs = (args: PageArgs): { first?: number; last?: number } => {
  const first = pageSize(args.first, 'first');
  const last = pageSize(args.last, 'last');
  const forward = first !== undefined || !!args.after;
  const backward = last !== undefined || !!args.before;
  if (forward && backward) {
    throw new InvalidPageError('page with first/after or with last/before, not both');
  }
  return { first, last };
};

/** True when some document lies beyond `keyset` in the direction of `keys`. */
const existsBeyond = async (
  store: ReadStore,
  collection: string,
  filter: Filter | undefined,
  keys: SortKey[],
  keyset: Scalar[],
): Promise<boolean> =>
  (await store.find(collection, { filter, sort: keys, after: keyset, limit: 1 })).length > 0;

/**
 * One page of `collection` under `filter` in `ordering`: `first`/`after` reads forward,
 * `last`/`before` backward (edges still in the ordering's direction), `DEFAULT_PAGE_SIZE` when
 * no size is given. totalCount counts the whole filter, not the page.
 */
export const findConnection = async <T>(
  store: ReadStore,
  collection: string,
  filter: Filter | undefined,
  ordering: Ordering,
  args: PageArgs,
  toNode: (doc: Doc) => T,
): Promise<Connection<T>> => {
  const { first, last } = checkArgs(args);
  const backward = last !== undefined || !!args.before;
  const size = (backward ? last : first) ?? DEFAULT_PAGE_SIZE;
  const from = backward ? args.before : args.after;
  const keyset = from ? decodeCursor(ordering, from) : undefined;
  const keys = backward ? reversed(ordering.keys) : ordering.keys;

  const [found, totalCount] = await Promise.all([
    size === 0
      ? Promise.resolve([])
      : store.find(collection, { filter, sort: keys, after: keyset, limit: size + 1 }),
    store.count(collection, filter),
  ]);
  const more = found.length > size;
  const docs = found.slice(0, size);
  if (backward) docs.reverse();

  // Whether anything lies on the other side of the page: cheap, one indexed row at most.
  const edgeKeyset = docs.length > 0 ? keysetOf(docs[0]!, ordering) : undefined;
  const tailKeyset = docs.length > 0 ? keysetOf(docs[docs.length - 1]!, ordering) : undefined;
  const behind = async (): Promise<boolean> => {
    if (!keyset) return false;
    if (!docs.length) return true;
    return backward
      ? existsBeyond(store, collection, filter, ordering.keys, tailKeyset!)
      : existsBeyond(store, collection, filter, reversed(ordering.keys), edgeKeyset!);
  };
  const otherSide = await behind();

  const edges = docs.map((doc) => ({
    cursor: encodeCursor(ordering, keysetOf(doc, ordering)),
    node: toNode(doc),
  }));
  return assemble(edges, { backward, more, otherSide, totalCount });
};

/** A page from its edges: `more` lies beyond it in the reading direction, `otherSide` behind. */
const assemble = <T>(
  edges: Array<Edge<T>>,
  page: { backward: boolean; more: boolean; otherSide: boolean; totalCount: number },
): Connection<T> => ({
  edges,
  pageInfo: {
    hasNextPage: page.backward ? page.otherSide : page.more,
    hasPreviousPage: page.backward ? page.more : page.otherSide,
    startCursor: edges[0]?.cursor ?? null,
    endCursor: edges[edges.length - 1]?.cursor ?? null,
  },
  totalCount: page.totalCount,
});

/** Reads every document matching `filter`, in chunks, for aggregations done in code. */
export const findAll = async (
  store: ReadStore,
  collection: string,
  filter: Filter | undefined,
  chunk = 1000,
): Promise<Doc[]> => {
  const all: Doc[] = [];
  let after: Scalar[] | undefined;
  for (;;) {
    const docs = await store.find(collection, { filter, after, limit: chunk });
    all.push(...docs);
    if (docs.length < chunk) return all;
    after = [docs[docs.length - 1]!._id];
  }
};

/** The page of a filter that matches nothing; the arguments are still checked. */
export const emptyConnection = <T>(ordering: Ordering, args: PageArgs): Connection<T> => {
  checkArgs(args);
  for (const cursor of [args.after, args.before]) if (cursor) decodeCursor(ordering, cursor);
  return {
    edges: [],
    pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    totalCount: 0,
  };
};

const compareScalars = (a: Scalar, b: Scalar): number => {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
};

/** Order of two keysets under `keys` (then the tie-breaker ascending). */
const compareKeysets = (keys: SortKey[], a: Scalar[], b: Scalar[]): number => {
  for (let i = 0; i < a.length; i++) {
    const c = compareScalars(a[i]!, b[i]!);
    if (c !== 0) return keys[i]?.direction === 'desc' ? -c : c;
  }
  return 0;
};

/**
 * One page of items already loaded and sorted in `ordering` (e.g. by a DataLoader for many
 * parents at once), with the same cursors and page rules as `findConnection`. `keyOf` gives an
 * item's sort values followed by a value unique among the items.
 */
export const pageOf = <T>(
  items: readonly T[],
  ordering: Ordering,
  keyOf: (item: T) => Scalar[],
  args: PageArgs,
): Connection<T> => {
  const { first, last } = checkArgs(args);
  const keyed = items.map((item) => ({ item, key: keyOf(item) }));
  const afterKey = args.after ? decodeCursor(ordering, args.after) : undefined;
  const beforeKey = args.before ? decodeCursor(ordering, args.before) : undefined;
  let window = keyed;
  if (afterKey) window = window.filter((k) => compareKeysets(ordering.keys, k.key, afterKey) > 0);
  if (beforeKey) window = window.filter((k) => compareKeysets(ordering.keys, k.key, beforeKey) < 0);
  const backward = last !== undefined || !!args.before;
  const size = (backward ? last : first) ?? DEFAULT_PAGE_SIZE;
  const page = backward ? window.slice(Math.max(0, window.length - size)) : window.slice(0, size);
  const edges = page.map(({ item, key }) => ({ cursor: encodeCursor(ordering, key), node: item }));
  const from = backward ? beforeKey : afterKey;
  return assemble(edges, {
    backward,
    more: size > 0 && window.length > size,
    otherSide: !!from && window.length < keyed.length,
    totalCount: items.length,
  });
};

/** Sorts items in `ordering` (then by the unique last value of `keyOf`), as pageOf expects. */
export const sortIn = <T>(items: T[], ordering: Ordering, keyOf: (item: T) => Scalar[]): T[] =>
  items.sort((a, b) => compareKeysets(ordering.keys, keyOf(a), keyOf(b)));
