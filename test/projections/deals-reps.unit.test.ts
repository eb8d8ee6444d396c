import { dealsProjection, DEALS } from '../../src/projections/deals/projection';
import { repsProjection, REPS } from '../../src/projections/reps/projection';
import { InMemoryProjection } from '../support/in-memory-projection';
import { at, D, HISTORY } from './fixtures';

describe('deals projection', () => {
  const deals = new InMemoryProjection(dealsProjection).apply(HISTORY);

  it('keeps each deal current: D1 won; D2 lost, reopened, then won', () => {
    expect(deals.get(DEALS, 'D1')).toMatchObject({
      dealId: 'D1',
      leadIds: ['L1'],
      status: 'WON',
      ownerRepId: 'rex',
    });
    expect(deals.get(DEALS, 'D2')).toMatchObject({
      status: 'WON',
      lostReason: null,
      competitor: null,
    });
    expect(deals.get(DEALS, 'D1')!.closedAt).toBe(at(10 * D));
  });
});

describe('reps projection', () => {
  const reps = new InMemoryProjection(repsProjection).apply(HISTORY);

  it('counts handoffs, answers, breaches and reassignments per rep', () => {
    expect(reps.get(REPS, 'rex')).toMatchObject({
      repId: 'rex',
      handoffsReceived: 2,
      accepted: 3,
      breaches: 2,
      reassignedIn: 1,
    });
    expect(reps.get(REPS, 'ora')).toMatchObject({ handoffsReceived: 1, rejected: 1, team: 'EMEA' });
    expect(reps.get(REPS, 'ula')).toMatchObject({
      handoffsReceived: 1,
      reassignedOut: 1,
      team: 'NA',
    });
  });
});
