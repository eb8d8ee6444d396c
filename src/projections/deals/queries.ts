import type { Doc } from '../../readstore/port';
import type { ReadModelAccess } from '../projection';
import { DEALS, type DealDoc } from './projection';

export type DealView = Omit<DealDoc, '_id' | 'dealId'> & { id: string };

const toDeal = (doc: Doc): DealView => {
  const { _id, _pos, dealId, ...deal } = doc as unknown as DealDoc & { _pos?: string };
  return { id: dealId, ...deal };
};

/** In the order of `ids`, null where there is no such deal (what a DataLoader batch wants). */
export const getDeals = async (
  access: ReadModelAccess,
  ids: readonly string[],
): Promise<Array<DealView | null>> => {
  const docs = await access.store.getMany(access.collection(DEALS), ids);
  return docs.map((doc) => (doc ? toDeal(doc) : null));
};
