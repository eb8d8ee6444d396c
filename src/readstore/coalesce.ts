import type { Doc, PositionedChange, Value } from './port';

/**
 * All changes of one batch to one document, merged into a single update that both adapters can
 * apply in one write: SQLite by `applyUpdate` in JS, MongoDB as one update or replace.
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

const BUCKETS = ['set', 'setOnInsert', 'inc', 'max', 'min', 'push'] as const;

const clearField = (u: DocUpdate, field: string) => {
  for (const bucket of BUCKETS) delete u[bucket][field];
};

const isNumber = (v: Value | undefined): v is number => typeof v === 'number';

const refuse = (u: DocUpdate, field: string, kind: string): never => {
  throw new IncompatibleChangesError(
    `${u.collection}/${u.id}: '${kind}' on '${field}' after another kind of change in one batch`,
  );
};

const merge = (u: DocUpdate, change: PositionedChange) => {
  const { op } = change;
  u.position = change.position;
  switch (op.kind) {
    case 'delete':
      Object.assign(u, { ...emptyUpdate(change), firstPosition: u.firstPosition });
      u.reset = true;
      u.deleted = true;
      return;
    case 'set':
      u.deleted = false;
      for (const [field, value] of Object.entries(op.fields)) {
        clearField(u, field);
        u.set[field] = value;
      }
      return;
    case 'setOnInsert':
      u.deleted = false;
      for (const [field, value] of Object.entries(op.fields)) {
        if (BUCKETS.every((b) => !(field in u[b]))) u.setOnInsert[field] = value;
      }
      return;
    case 'inc':
      u.deleted = false;
      for (const [field, by] of Object.entries(op.fields)) {
        if (field in u.set) {
          const current = u.set[field];
          u.set[field] = (isNumber(current) ? current : 0) + by;
        } else if (field in u.inc) u.inc[field]! += by;
        else if (BUCKETS.some((b) => field in u[b])) refuse(u, field, 'inc');
        else u.inc[field] = by;
      }
      return;
    case 'max':
    case 'min': {
      u.deleted = false;
      const better = (a: number | string, b: number | string) =>
        op.kind === 'max' ? (a >= b ? a : b) : a <= b ? a : b;
      for (const [field, value] of Object.entries(op.fields)) {
        const current = u.set[field];
        if (field in u.set) {
          u.set[field] =
            typeof current === 'number' || typeof current === 'string'
              ? better(current, value)
              : value;
        } else if (field in u[op.kind]) u[op.kind][field] = better(u[op.kind][field]!, value);
        else if (BUCKETS.some((b) => field in u[b])) refuse(u, field, op.kind);
        else u[op.kind][field] = value;
      }
      return;
    }
    case 'push': {
      u.deleted = false;
      const { field, values, cap } = op;
      const current = u.set[field];
      if (field in u.set) {
        u.set[field] = [...(Array.isArray(current) ? current : []), ...values].slice(-cap);
      } else if (field in u.push) {
        const pending = u.push[field]!;
        u.push[field] = { values: [...pending.values, ...values].slice(-cap), cap };
      } else if (BUCKETS.some((b) => field in u[b])) refuse(u, field, 'push');
      else u.push[field] = { values: values.slice(-cap), cap };
      return;
    }
  }
};

const docKey = (collection: string, id: string) => `${collection}\u0000${id}`;

/**
 * Merges a batch's changes per document, in order, skipping those at or before the position
 * the document already carries (they were applied by an earlier, interrupted attempt).
 */
export const coalesce = (
  changes: readonly PositionedChange[],
  appliedPosition: (collection: string, id: string) => string | undefined,
): DocUpdate[] => {
  const updates = new Map<string, DocUpdate>();
  for (const change of changes) {
    const applied = appliedPosition(change.collection, change.id);
    if (applied !== undefined && change.position <= applied) continue;
    const key = docKey(change.collection, change.id);
    let update = updates.get(key);
    if (!update) {
      update = emptyUpdate(change);
      updates.set(key, update);
    }
    merge(update, change);
  }
  return [...updates.values()];
};

const getPath = (doc: Record<string, Value | undefined>, path: string): Value | undefined => {
  let node: Value | undefined = doc as Value;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = node[part];
  }
  return node;
};

const setPath = (doc: Record<string, Value | undefined>, path: string, value: Value) => {
  const parts = path.split('.');
  let node = doc;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, Value>;
  }
  node[parts[parts.length - 1]!] = value;
};

/** The document after the update (undefined: deleted), as MongoDB would compute it. */
export const applyUpdate = (current: Doc | undefined, u: DocUpdate): Doc | undefined => {
  if (u.deleted) return undefined;
  const base = u.reset ? undefined : current;
  const doc: Doc = base ? structuredClone(base) : { _id: u.id };
  if (!base) for (const [f, v] of Object.entries(u.setOnInsert)) setPath(doc, f, v);
  for (const [f, v] of Object.entries(u.set)) setPath(doc, f, v);
  for (const [f, by] of Object.entries(u.inc)) {
    const v = getPath(doc, f);
    setPath(doc, f, (isNumber(v) ? v : 0) + by);
  }
  for (const [f, v] of Object.entries(u.max)) {
    const old = getPath(doc, f);
    setPath(doc, f, old === undefined || old === null || v > old ? v : old);
  }
  for (const [f, v] of Object.entries(u.min)) {
    const old = getPath(doc, f);
    setPath(doc, f, old === undefined || old === null || v < old ? v : old);
  }
  for (const [f, { values, cap }] of Object.entries(u.push)) {
    const old = getPath(doc, f);
    setPath(doc, f, [...(Array.isArray(old) ? old : []), ...values].slice(-cap));
  }
  doc._pos = u.position;
  return doc;
};
