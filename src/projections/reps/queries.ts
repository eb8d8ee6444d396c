import type { ReadModelAccess } from '../projection';
import { REPS, type RepDoc } from './projection';

export type RepView = Required<Omit<RepDoc, '_id' | 'repId'>> & { id: string };

/** A rep's view; a rep without a document (no handoff yet) reads as all zeros. */
export const toRep = (doc: Pick<RepDoc, 'repId'> & Partial<RepDoc>): RepView => {
  const rep = doc;
  return {
    id: rep.repId,
    team: rep.team ?? null,
    handoffsReceived: rep.handoffsReceived ?? 0,
    accepted: rep.accepted ?? 0,
    rejected: rep.rejected ?? 0,
    breaches: rep.breaches ?? 0,
    reassignedIn: rep.reassignedIn ?? 0,
    reassignedOut: rep.reassignedOut ?? 0,
    lastHandoffAt: rep.lastHandoffAt ?? null,
  };
};

/** In the order of `ids`, null where the rep never received a handoff. */
export const getReps = async (
  access: ReadModelAccess,
  ids: readonly string[],
): Promise<Array<RepView | null>> => {
  const docs = await access.store.getMany(access.collection(REPS), ids);
  return docs.map((doc) => (doc ? toRep(doc as unknown as RepDoc) : null));
};
