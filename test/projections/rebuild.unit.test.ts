import fc from 'fast-check';
import { funnelProjection } from '../../src/projections/funnel/projection';
import { leadsProjection } from '../../src/projections/leads/projection';
import type { Projection } from '../../src/projections/projection';
import { slaProjection } from '../../src/projections/sla/projection';
import { HISTORY } from './fixtures';
import { canonical, MemoryReadModel } from './harness';

const snapshot = (projection: Projection, batchSize: number) => {
  const model = new MemoryReadModel(projection).apply(HISTORY, batchSize);
  return canonical(projection.collections.map((c) => model.all(c.name)));
};

describe.each([leadsProjection, funnelProjection, slaProjection])('$name rebuild', (projection) => {
  it('gives the same documents however the log is batched', () => {
    const oneByOne = snapshot(projection, 1);
    expect(snapshot(projection, HISTORY.length)).toBe(oneByOne);
    fc.assert(
      fc.property(fc.integer({ min: 2, max: HISTORY.length }), (size) => {
        expect(snapshot(projection, size)).toBe(oneByOne);
      }),
      { numRuns: 30 },
    );
  });

  it('is deterministic: rebuilding twice gives identical documents', () => {
    expect(snapshot(projection, 7)).toBe(snapshot(projection, 7));
  });
});
