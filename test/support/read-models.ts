import { PROJECTIONS } from '../../src/projections/catalog';
import type { ProjectionsView } from '../../src/projections/generations';
import type { ReadStore } from '../../src/readstore/port';

/** Every read model's documents, by logical collection, through a view's live generations. */
export const dumpReadModels = async (
  store: ReadStore,
  view: ProjectionsView,
): Promise<Record<string, unknown>> => {
  const out: Record<string, unknown> = {};
  for (const projection of PROJECTIONS) {
    for (const { name } of projection.collections) {
      out[name] = await store.find(view.access.collection(name), { limit: 1_000_000 });
    }
  }
  return out;
};
