import fc from 'fast-check';
import {
  ATTRIBUTION_MODELS,
  attributionPath,
  centsOf,
  computeAllCredits,
  computeCredits,
  UNATTRIBUTED,
  type Conversion,
  type CreditTouch,
} from '../../src/projections/attribution/models';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const HOUR_MS = 3_600_000;
const hours = (h: number): string => new Date(T0 + h * HOUR_MS).toISOString();

/** Touches of up to three leads over ~three months, on whole hours so ties are common. */
const touches = fc.uniqueArray(
  fc.record({
    touchId: fc.stringMatching(/^[a-z0-9]{1,4}$/),
    leadId: fc.constantFrom('L1', 'L2', 'L3'),
    at: fc.integer({ min: 0, max: 2_000 }).map(hours),
    channel: fc.constantFrom('WEBINAR', 'EMAIL', 'PAID_SEARCH'),
    campaignId: fc.option(fc.constantFrom('cmp-a', 'cmp-b'), { nil: null }),
    createsLead: fc.boolean(),
  }),
  { selector: (t) => t.touchId, maxLength: 40 },
);

/** Deal amounts as the domain allows them: positive, up to 1e13, in cents or not. */
const amount = fc.oneof(
  fc.integer({ min: 1, max: 1_000_000_000 }).map((cents) => cents / 100),
  fc.integer({ min: 1, max: 1e15 }).map((cents) => cents / 100),
  fc.double({ min: 0.01, max: 1e13, noNaN: true }),
  fc.constantFrom(0.01, 0.1, 1, 1e13),
);

const conversion: fc.Arbitrary<Conversion> = fc
  .tuple(
    fc.constantFrom('PIPELINE', 'REVENUE'),
    fc.integer({ min: 0, max: 2_100 }),
    fc.integer({ min: 0, max: 500 }),
    amount,
  )
  .map(([kind, opened, wonAfter, amount]) =>
    kind === 'PIPELINE'
      ? { kind, openedAt: hours(opened), amount }
      : { kind, openedAt: hours(opened), wonAt: hours(opened + wonAfter), amount },
  );

const untilOf = (c: Conversion): number => Date.parse(c.kind === 'REVENUE' ? c.wonAt : c.openedAt);

/** The same touches in another order. */
const withShuffle = touches.chain((ts) =>
  fc.tuple(fc.constant(ts), fc.shuffledSubarray(ts, { minLength: ts.length })),
);

describe('attribution credits (properties)', () => {
  it('sum exactly to the amount in cents, are non-negative and have at most two decimals', () => {
    fc.assert(
      fc.property(touches, conversion, (ts, c) => {
        const all = computeAllCredits(ts, c);
        for (const model of ATTRIBUTION_MODELS) {
          const rows = all[model];
          expect(rows.reduce((n, r) => n + r.cents, 0)).toBe(centsOf(c.amount));
          expect(rows.reduce((n, r) => n + Math.round(r.credit * 100), 0)).toBe(centsOf(c.amount));
          for (const r of rows) {
            expect(Number.isInteger(r.cents)).toBe(true);
            expect(r.cents).toBeGreaterThanOrEqual(0);
            expect(r.credit).toBe(r.cents / 100);
            expect(Number(r.credit.toFixed(2))).toBe(r.credit);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('are deterministic: the same touches in any order give the same credits', () => {
    fc.assert(
      fc.property(withShuffle, conversion, ([ts, shuffled], c) => {
        expect(computeAllCredits(shuffled, c)).toEqual(computeAllCredits(ts, c));
      }),
      { numRuns: 300 },
    );
  });

  it('credit only counted touches, once each, else one UNATTRIBUTED row', () => {
    fc.assert(
      fc.property(touches, conversion, (ts, c) => {
        const counted = ts.filter((t) => Date.parse(t.at) <= untilOf(c));
        const all = computeAllCredits(ts, c);
        for (const model of ATTRIBUTION_MODELS) {
          const rows = all[model];
          if (!counted.length) {
            expect(rows).toEqual([
              {
                key: UNATTRIBUTED,
                touch: null,
                positions: [],
                cents: centsOf(c.amount),
                credit: centsOf(c.amount) / 100,
              },
            ]);
            continue;
          }
          const keys = rows.map((r) => r.key);
          expect(new Set(keys).size).toBe(keys.length);
          for (const r of rows) expect(counted).toContain(r.touch);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('do not change when touches after the conversion point are added', () => {
    fc.assert(
      fc.property(touches, touches, conversion, (ts, extra, c) => {
        const late = extra
          .filter((t) => !ts.some((u) => u.touchId === t.touchId))
          .map((t) => ({
            ...t,
            at: new Date(untilOf(c) + Date.parse(t.at) - T0 + 1).toISOString(),
          }));
        expect(computeAllCredits([...ts, ...late], c)).toEqual(computeAllCredits(ts, c));
      }),
    );
  });

  it('follow the path: FIRST_TOUCH, LAST_TOUCH, LEAD_CREATION credit their position alone', () => {
    fc.assert(
      fc.property(touches, conversion, (ts, c) => {
        const path = attributionPath(ts, c);
        fc.pre(path.touches.length > 0);
        const only = (model: (typeof ATTRIBUTION_MODELS)[number]): CreditTouch | null => {
          const rows = computeCredits(ts, c, model);
          expect(rows).toHaveLength(1);
          return rows[0]!.touch;
        };
        expect(only('FIRST_TOUCH')).toBe(path.touches[0]);
        expect(only('LAST_TOUCH')).toBe(path.touches[path.touches.length - 1]);
        expect(only('LEAD_CREATION')).toBe(path.touches[path.positions.LC!]);
        // Every position touch takes part in the models that name it.
        const held = (model: (typeof ATTRIBUTION_MODELS)[number]) =>
          computeCredits(ts, c, model).map((r) => r.touch);
        expect(held('U_SHAPED')).toEqual(
          expect.arrayContaining([path.touches[0], path.touches[path.positions.LC!]]),
        );
        expect(held('LINEAR')).toEqual(path.touches);
        expect(held('TIME_DECAY')).toEqual(path.touches);
      }),
      { numRuns: 300 },
    );
  });
});
