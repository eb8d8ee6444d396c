import type { Projection, ProjectionEvent } from '../../src/projections/projection';
import { toProjectionEvent } from '../../src/projections/runner';
import { applyUpdate, coalesce } from '../../src/readstore/coalesce';
import type { Doc } from '../../src/readstore/port';

/** A stored event as projections see it (data upcast): the runner's own conversion. */
export const fromStored = toProjectionEvent;

/**
 * A projection's documents, folded in memory event by event with the read stores' own update
 * rules (`coalesce` + `applyUpdate`): no runner, no adapter.
 */
export class InMemoryProjection {
  private readonly docs = new Map<string, Map<string, Doc>>();

  constructor(private readonly projection: Projection) {}

  apply(events: Iterable<ProjectionEvent>): this {
    for (const event of events) {
      if (!this.projection.handles.has(event.type)) continue;
      const view = { get: (collection: string, id: string) => this.get(collection, id) };
      for (const change of this.projection.project(event, view)) {
        const [update] = coalesce([{ ...change, position: event.position }], () => undefined);
        const collection = this.collection(change.collection);
        const doc = applyUpdate(collection.get(change.id), update!);
        if (doc) collection.set(change.id, doc);
        else collection.delete(change.id);
      }
    }
    return this;
  }

  get(collection: string, id: string): Doc | undefined {
    return this.docs.get(collection)?.get(id);
  }

  all(collection: string): Doc[] {
    return [...this.collection(collection).values()];
  }

  private collection(name: string): Map<string, Doc> {
    let collection = this.docs.get(name);
    if (!collection) {
      collection = new Map();
      this.docs.set(name, collection);
    }
    return collection;
  }
}
