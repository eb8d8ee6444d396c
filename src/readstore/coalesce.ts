import type { Doc, PositionedChange, Value } from './port';

/**
 * All changes of one batch to one document, merged into a single update that both adapters can
 * apply in one write: SQLite by `applyUpdate` in JS, MongoDB as one update or replace.
 *
 * Invariant: no field path appears twice across the buckets, and no bucket key is a prefix path
 * of another (`a` and `a.b`), so the buckets can be applied in any order (and MongoDB accepts
 * them as one update).
 */
export interface DocUpdate {
  collection: string;
  id: string;
  /** Position of the first and the last change merged. */
  firstPosition: string;
  position: string;
  /** The document was deleted during the batch: what follows starts from nothing. */
  reset: boolean;
  /** The document ends the batch deleted. */
  deleted: boolean;
  set: Record<string, Value>;
  /** Applies only if the document does not exist before the update (never after a reset). */
  setOnInsert: Record<string, Value>;
  inc: Record<string, number>;
  max: Record<string, number | string>;
  min: Record<string, number | string>;
  push: Record<string, { values: Value[]; cap: number }>;
}

/** A projection combined op kinds on one field that no single update can express. */
export class IncompatibleChangesError extends Error {
  override readonly name = 'IncompatibleChangesError';
}

const emptyUpdate = (change: PositionedChange): DocUpdate => ({
  collection: change.collection,
  id: change.id,
  firstPosition: change.position,
  position: change.position,
  reset: false,
  deleted: false,
  set: {},
  setOnInsert: {},
  inc: {},
  max: {},
  min: {},
  push: {},
});

type Bucket = 'set' | 'setOnInsert' | 'inc' | 'max' | 'min' | 'push';
type FieldKind = Exclude<Bucket, 'setOnInsert'>;
type Arg = Value | { values: Value[]; cap: number };

/** `cap` newest elements; `slice(-0)` would keep them all. */
const keepNewest = (values: Value[], cap: number): Value[] => (cap > 0 ? values.slice(-cap) : []);

const isNumber = (v: Value | undefined): v is number => typeof v === 'number';

const getPath = (doc: Record<string, Value | undefined>, path: string): Value | undefined => {
  let dot = path.indexOf('.');
  if (dot < 0) return doc[path];
  let node: Value | undefined = doc as Value;
  let start = 0;
  for (;;) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = node[dot < 0 ? path.slice(start) : path.slice(start, dot)];
    if (dot < 0) return node;
    start = dot + 1;
    dot = path.indexOf('.', start);
  }
};

/** What `applyChange` may change in place: nested objects it copied for one document. */
export interface Owner {
  owned?: Set<object>;
}

/**
 * Sets a field, dotted paths into nested objects included. Nested objects on the path are
 * copied on write, as they may be shared with the document this one was made from, or with
 * values of changes; except the owner's: copies made earlier for this same document, which
 * nothing else holds, changed in place while every object above them on the path is too (the
 * copies made here join them).
 */
const setPath = (
  doc: Record<string, Value | undefined>,
  path: string,
  value: Value,
  owner?: Owner,
) => {
  let dot = path.indexOf('.');
  if (dot < 0) {
    doc[path] = value;
    return;
  }
  let node = doc;
  let start = 0;
  let inPlace = owner?.owned !== undefined;
  while (dot >= 0) {
    const part = path.slice(start, dot);
    const next = node[part];
    let child: Record<string, Value>;
    if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      child = {};
    } else if (inPlace && owner!.owned!.has(next)) {
      child = next;
    } else {
      child = { ...next };
      inPlace = false;
    }
    if (child !== next && owner) (owner.owned ??= new Set()).add(child);
    node[part] = child;
    node = child;
    start = dot + 1;
    dot = path.indexOf('.', start);
  }
  node[path.slice(start)] = value;
};

/** One op on one field of a document, as MongoDB's update operator would apply it. */
const applyOp = (
  doc: Record<string, Value | undefined>,
  kind: FieldKind,
  field: string,
  arg: Arg,
  owned?: Owner,
): void => {
  switch (kind) {
    case 'set':
      setPath(doc, field, arg, owned);
      return;
    case 'inc': {
      const old = getPath(doc, field);
      setPath(doc, field, (isNumber(old) ? old : 0) + (arg as number), owned);
      return;
    }
    case 'max':
    case 'min': {
      const old = getPath(doc, field);
      const v = arg as number | string;
      const replace =
        old === undefined ||
        old === null ||
        (kind === 'max' ? v > (old as number | string) : v < (old as number | string));
      setPath(doc, field, replace ? v : old, owned);
      return;
    }
    case 'push': {
      const { values, cap } = arg as { values: Value[]; cap: number };
      const old = getPath(doc, field);
      setPath(doc, field, keepNewest([...(Array.isArray(old) ? old : []), ...values], cap), owned);
      return;
    }
  }
};

/** Merge state of one document: the update, plus what the merge rules need to know. */
interface Merging {
  readonly u: DocUpdate;
  /** A change that creates the document was merged since the start or the last delete. */
  exists: boolean;
  /** Which bucket holds each field path of the update. */
  readonly owner: Map<string, Bucket>;
  /** Strict prefix paths (`a` of `a.b`) of the dotted keys placed so far. */
  prefixes: Set<string> | undefined;
}

const refuse = (u: DocUpdate, field: string, kind: string): never => {
  throw new IncompatibleChangesError(
    `${u.collection}/${u.id}: '${kind}' on '${field}' after another kind of change in one batch`,
  );
};

/** Folds an op into the value a `set` of this batch gave to `key` (the field or an ancestor). */
const foldIntoSet = (u: DocUpdate, key: string, rest: string, kind: FieldKind, arg: Arg) => {
  const holder: Record<string, Value> = { v: rest ? structuredClone(u.set[key]!) : u.set[key]! };
  applyOp(holder, kind, rest ? `v.${rest}` : 'v', arg);
  u.set[key] = holder.v!;
};

/** Handles a field whose ancestor or descendant paths are already in the update. */
const placeNested = (m: Merging, kind: Bucket, field: string, arg: Arg): boolean => {
  const { u } = m;
  for (let dot = field.indexOf('.'); dot > 0; dot = field.indexOf('.', dot + 1)) {
    const ancestor = field.slice(0, dot);
    const holder = m.owner.get(ancestor);
    if (holder === undefined) continue;
    if (holder !== 'set' || kind === 'setOnInsert') refuse(u, field, kind);
    foldIntoSet(u, ancestor, field.slice(dot + 1), kind as FieldKind, arg);
    return true;
  }
  if (m.prefixes?.has(field)) {
    const prefix = `${field}.`;
    for (const [key, holder] of m.owner) {
      if (!key.startsWith(prefix)) continue;
      // A set replaces the whole subtree; anything else on a parent of changed fields is a bug.
      if (kind !== 'set') refuse(u, field, kind);
      delete u[holder][key];
      m.owner.delete(key);
    }
  }
  return false;
};

const place = (m: Merging, kind: Bucket, field: string, arg: Arg) => {
  const { u } = m;
  if ((field.includes('.') || m.prefixes) && placeNested(m, kind, field, arg)) return;
  const holder = m.owner.get(field);
  if (kind === 'set' || kind === 'setOnInsert') {
    if (holder !== undefined) delete u[holder][field];
    (u[kind] as Record<string, Arg>)[field] = arg;
    m.owner.set(field, kind);
  } else if (holder === 'set') {
    foldIntoSet(u, field, '', kind, arg);
  } else if (holder === undefined) {
    (u[kind] as Record<string, Arg>)[field] = arg;
    m.owner.set(field, kind);
  } else if (holder !== kind) {
    refuse(u, field, kind);
  } else if (kind === 'inc') {
    u.inc[field]! += arg as number;
  } else if (kind === 'max' || kind === 'min') {
    const [old, v] = [u[kind][field]!, arg as number | string];
    u[kind][field] = (kind === 'max' ? v > old : v < old) ? v : old;
  } else {
    const pending = u.push[field]!;
    const { values, cap } = arg as { values: Value[]; cap: number };
    // Trimming to a larger cap than before would need elements the earlier push dropped.
    if (cap > pending.cap) refuse(u, field, 'push with a larger cap');
    u.push[field] = { values: keepNewest([...pending.values, ...values], cap), cap };
  }
  if (field.includes('.')) {
    m.prefixes ??= new Set();
    for (let dot = field.indexOf('.'); dot > 0; dot = field.indexOf('.', dot + 1)) {
      m.prefixes.add(field.slice(0, dot));
    }
  }
};

const merge = (m: Merging, change: PositionedChange) => {
  const { op } = change;
  const { u } = m;
  u.position = change.position;
  if (op.kind === 'delete') {
    Object.assign(u, { ...emptyUpdate(change), firstPosition: u.firstPosition });
    u.reset = true;
    u.deleted = true;
    m.exists = false;
    m.owner.clear();
    m.prefixes = undefined;
    return;
  }
  u.deleted = false;
  if (op.kind === 'push') {
    place(m, 'push', op.field, { values: keepNewest(op.values, op.cap), cap: op.cap });
  } else if (op.kind === 'setOnInsert') {
    // Applied one by one, a setOnInsert after a change that created the document does nothing;
    // after a delete the document is known to be absent, so it is a plain set.
    if (!m.exists) {
      const kind = u.reset ? 'set' : 'setOnInsert';
      for (const field in op.fields) place(m, kind, field, op.fields[field]!);
    }
  } else {
    for (const field in op.fields) place(m, op.kind, field, op.fields[field]!);
  }
  m.exists = true;
};

/**
 * Merges a batch's changes per document, in order, skipping those at or before the position
 * the document already carries (they were applied by an earlier, interrupted attempt). The
 * merged update has the effect of applying the changes one by one.
 */
export const coalesce = (
  changes: readonly PositionedChange[],
  appliedPosition: (collection: string, id: string) => string | undefined,
): DocUpdate[] => {
  // Keyed by collection, then id: no per-change key strings to build and hash.
  const byCollection = new Map<string, Map<string, Merging>>();
  const merged: Merging[] = [];
  for (const change of changes) {
    const applied = appliedPosition(change.collection, change.id);
    if (applied !== undefined && change.position <= applied) continue;
    let docs = byCollection.get(change.collection);
    if (!docs) {
      docs = new Map<string, Merging>();
      byCollection.set(change.collection, docs);
    }
    let m = docs.get(change.id);
    if (!m) {
      m = { u: emptyUpdate(change), exists: false, owner: new Map(), prefixes: undefined };
      docs.set(change.id, m);
      merged.push(m);
    }
    merge(m, change);
  }
  return merged.map((m) => m.u);
};

/**
 * A change at `position` was applied before to a document stored with `_pos` `stored` (the
 * position guard). Compare with the `_pos` read from the store, not one reached in memory since:
 * an event's second change to a document carries the position its first one just set.
 */
export const alreadyApplied = (stored: string | undefined, position: string): boolean =>
  stored !== undefined && position <= stored;

/**
 * One change applied to a document the caller owns, in place; returns the document after it
 * (undefined: deleted). The same result as `applyUpdate` of that change alone, without merging
 * first: what the runner does for the documents it keeps in memory. Nested objects are still
 * copied on write, as they may be shared with the change's values or other documents; but the
 * `owned` ones, copies this function made for the same document (see `setPath`), while the
 * caller guarantees none of them was handed out since (it clears `owned` when it does).
 */
export const applyChange = (
  doc: Doc | undefined,
  change: PositionedChange,
  owned?: Owner,
): Doc | undefined => {
  const { op } = change;
  if (op.kind === 'delete') return undefined;
  const target: Doc = doc ?? { _id: change.id };
  switch (op.kind) {
    case 'setOnInsert':
      if (doc === undefined) for (const f in op.fields) setPath(target, f, op.fields[f]!, owned);
      break;
    case 'set':
      for (const f in op.fields) setPath(target, f, op.fields[f]!, owned);
      break;
    case 'push':
      applyOp(target, 'push', op.field, { values: op.values, cap: op.cap }, owned);
      break;
    default:
      for (const f in op.fields) applyOp(target, op.kind, f, op.fields[f]!, owned);
  }
  target._pos = change.position;
  return target;
};

/**
 * The document after the update (undefined: deleted), as MongoDB would compute it. `current` is
 * never modified unless the caller hands it over (`ownsCurrent`, e.g. freshly parsed JSON):
 * the result shares unchanged parts with it, and nested objects are copied on write.
 */
export const applyUpdate = (
  current: Doc | undefined,
  u: DocUpdate,
  ownsCurrent = false,
): Doc | undefined => {
  if (u.deleted) return undefined;
  const base = u.reset ? undefined : current;
  const doc: Doc = base ? (ownsCurrent ? base : { ...base }) : { _id: u.id };
  if (!base) for (const f in u.setOnInsert) setPath(doc, f, u.setOnInsert[f]!);
  for (const f in u.set) setPath(doc, f, u.set[f]!);
  for (const f in u.inc) applyOp(doc, 'inc', f, u.inc[f]!);
  for (const f in u.max) applyOp(doc, 'max', f, u.max[f]!);
  for (const f in u.min) applyOp(doc, 'min', f, u.min[f]!);
  for (const f in u.push) applyOp(doc, 'push', f, u.push[f]!);
  doc._pos = u.position;
  return doc;
};
