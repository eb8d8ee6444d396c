import fc from 'fast-check';
import {
  addInto,
  bucketOf,
  MIN_SECONDS,
  nearestRank,
  quantile,
  RELATIVE_ERROR,
  type Histogram,
} from '../../src/projections/histogram';

const histogramOf = (values: readonly number[]): Histogram =>
  values.reduce<Histogram>((h, v) => {
    const key = bucketOf(v);
    h[key] = (h[key] ?? 0) + 1;
    return h;
  }, {});

const exactQuantile = (values: readonly number[], q: number): number =>
  [...values].sort((a, b) => a - b)[nearestRank(q, values.length) - 1]!;

/** Durations from sub-second to ten years, spread over magnitudes. */
const duration = fc.oneof(
  fc.double({ min: 0, max: 2, noNaN: true }),
  fc.double({ min: 1, max: 3600, noNaN: true }),
  fc.double({ min: 0, max: 10 * 365 * 86_400, noNaN: true }),
  fc.integer({ min: 0, max: 1_000_000 }),
);
const q = fc.oneof(
  fc.constantFrom(0.5, 0.95, 0.99, 1),
  fc.double({ min: 0.001, max: 1, noNaN: true }),
);

/** Within the relative bound (plus float noise); under MIN_SECONDS, within a second. */
const withinBound = (estimate: number, exact: number): boolean =>
  exact < MIN_SECONDS
    ? Math.abs(estimate - exact) < MIN_SECONDS
    : Math.abs(estimate - exact) <= exact * RELATIVE_ERROR * (1 + 1e-9);

describe('log histogram', () => {
  it('estimates any quantile within its bound of the exact (nearest-rank) quantile', () => {
    fc.assert(
      fc.property(fc.array(duration, { minLength: 1, maxLength: 300 }), q, (values, p) => {
        const estimate = quantile(histogramOf(values), p);
        expect(estimate).not.toBeNull();
        expect(withinBound(estimate!, exactQuantile(values, p))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('merges by addition: the histograms of parts add up to that of the whole', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(duration, { maxLength: 50 }), { minLength: 1, maxLength: 6 }),
        q,
        (parts, p) => {
          const merged = parts.reduce((h, part) => addInto(h, histogramOf(part)), {});
          const whole = parts.flat();
          expect(quantile(merged, p)).toBe(whole.length ? quantile(histogramOf(whole), p) : null);
        },
      ),
    );
  });

  it('keeps the bound at bucket edges', () => {
    const gamma = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR);
    for (let i = 0; i < 2000; i += 37) {
      for (const v of [gamma ** i, gamma ** i * (1 + 1e-12), gamma ** i * (1 - 1e-12)]) {
        expect(withinBound(quantile(histogramOf([v]), 0.5)!, v)).toBe(true);
      }
    }
  });

  it('reports nothing for an empty histogram and ignores emptied buckets', () => {
    expect(quantile({}, 0.5)).toBeNull();
    expect(quantile({ b10: 0, z: 0 }, 0.95)).toBeNull();
    expect(quantile({ z: 3 }, 0.5)).toBe(0);
    expect(bucketOf(-5)).toBe(bucketOf(0));
  });

  it('uses the nearest rank: the lower median of an even count', () => {
    expect(nearestRank(0.5, 4)).toBe(2);
    expect(nearestRank(0.95, 20)).toBe(19);
    expect(nearestRank(0.95, 21)).toBe(20);
    expect(nearestRank(1, 7)).toBe(7);
    expect(nearestRank(0.0001, 7)).toBe(1);
  });
});
