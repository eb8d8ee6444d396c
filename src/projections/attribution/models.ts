/**
 * Multi-touch attribution: how one deal's amount is credited to the touches of its leads under
 * each model (DESIGN.md, "Attribution models"). Pure and store-agnostic: touches and the
 * conversion in, credits out.
 *
 * The path: the touches at or before the conversion point (the deal opening for pipeline
 * credit, the win for revenue credit), ordered by time, then touchId, then leadId. Positions on
 * that path:
 * - FT, first touch: the first touch of the path.
 * - LC, lead creation: per lead, its first touch marked `createsLead`, else its first touch;
 *   with several leads, the earliest of these (when the deal's first lead was created).
 * - OC, opportunity creation: the last touch at or before the deal opened (none when every
 *   counted touch came after the opening, which only revenue credit can see).
 * - CW, closed won: the last touch of the path, for revenue credit only.
 *
 * Shares are integer weights, so sums are exact: a touch holding several positions adds their
 * weights; a share nobody can take (no middle touch, no OC) is dropped, which spreads it over
 * the others in proportion to their weights. The amount is apportioned in integer cents
 * (floors, the residue to the largest weight, the earliest touch on a tie), so the credits of
 * a deal sum exactly to its amount. A deal with no counted touch credits `UNATTRIBUTED`.
 * TIME_DECAY counts d in fractional days (milliseconds / 86,400,000), not calendar days.
 */

export const ATTRIBUTION_MODELS = [
  'FIRST_TOUCH',
  'LAST_TOUCH',
  'LEAD_CREATION',
  'LINEAR',
  'U_SHAPED',
  'W_SHAPED',
  'FULL_PATH',
  'TIME_DECAY',
] as const;
export type AttributionModel = (typeof ATTRIBUTION_MODELS)[number];

export const POSITIONS = ['FT', 'LC', 'OC', 'CW'] as const;
export type Position = (typeof POSITIONS)[number];

/** The key of a deal's whole amount when no touch can take it (never dropped). */
export const UNATTRIBUTED = 'UNATTRIBUTED';

/** TIME_DECAY halves a touch's weight for every this many days before the conversion. */
export const HALF_LIFE_DAYS = 7;

/** A TouchRecorded of one of the deal's leads, as attribution needs it. */
export interface CreditTouch {
  touchId: string;
  leadId: string;
  /** ISO-8601 instant (business time of the touch). */
  at: string;
  channel: string;
  campaignId: string | null;
  createsLead: boolean;
}

/** What is credited: the amount at the opening (pipeline) or at the win (revenue). */
export type Conversion =
  | { kind: 'PIPELINE'; openedAt: string; amount: number }
  | { kind: 'REVENUE'; openedAt: string; wonAt: string; amount: number };

export interface Credit {
  /** The touchId, or `UNATTRIBUTED` (then `touch` is null). */
  key: string;
  touch: CreditTouch | null;
  /** The positions this touch holds on the deal's path, whatever the model. */
  positions: Position[];
  /** Exact credit in minor units: the cents of a deal sum to its amount's (sum these). */
  cents: number;
  /** The same credit in major units (at most two decimals). */
  credit: number;
}

/** The counted touches in order, and the index of each position held (null: nobody). */
export interface AttributionPath {
  touches: CreditTouch[];
  positions: Record<Position, number | null>;
}

const DAY_MS = 86_400_000;
/** The first touch is the first of the path. */
const FT = 0;
/** TIME_DECAY weights as integers: the latest touch weighs 2^50, older ones their fraction. */
const DECAY_SCALE = 2 ** 50;

/** Code-unit order, not locale order: the same on every machine. */
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const byTime = (
  a: { touch: CreditTouch; ms: number },
  b: { touch: CreditTouch; ms: number },
): number =>
  a.ms - b.ms ||
  compare(a.touch.touchId, b.touch.touchId) ||
  compare(a.touch.leadId, b.touch.leadId);

const conversionAt = (c: Conversion): string => (c.kind === 'PIPELINE' ? c.openedAt : c.wonAt);

/** Per lead its first `createsLead` touch, else its first touch; the earliest of those. */
const leadCreationOf = (touches: readonly CreditTouch[]): number => {
  const creation = new Map<string, number>();
  touches.forEach((t, i) => {
    const known = creation.get(t.leadId);
    if (known === undefined || (t.createsLead && !touches[known]!.createsLead)) {
      creation.set(t.leadId, i);
    }
  });
  return [...creation.values()].reduce((a, b) => Math.min(a, b));
};

/** The ordered touches that count for `conversion`, and who holds which position. */
export const attributionPath = (
  touches: readonly CreditTouch[],
  conversion: Conversion,
): AttributionPath => {
  const until = Date.parse(conversionAt(conversion));
  const opened = Date.parse(conversion.openedAt);
  const timed = touches
    .map((touch) => ({ touch, ms: Date.parse(touch.at) }))
    .filter(({ ms }) => ms <= until)
    .sort(byTime);
  const ordered = timed.map(({ touch }) => touch);
  if (!ordered.length) {
    return { touches: [], positions: { FT: null, LC: null, OC: null, CW: null } };
  }
  const oc = timed.findLastIndex(({ ms }) => ms <= opened);
  return {
    touches: ordered,
    positions: {
      FT,
      LC: leadCreationOf(ordered),
      OC: oc < 0 ? null : oc,
      CW: conversion.kind === 'REVENUE' ? ordered.length - 1 : null,
    },
  };
};

type Weights = Map<number, bigint>;

const add = (weights: Weights, index: number | null, weight: bigint): Weights => {
  if (index !== null) weights.set(index, (weights.get(index) ?? 0n) + weight);
  return weights;
};

/**
 * Position shares plus `middleShare` split equally by `middle` touches, in tenths of a percent
 * (22.5% is the finest). Scaling the positions by the middle count keeps every weight an integer.
 */
const shaped = (
  positions: ReadonlyArray<readonly [number | null, number]>,
  middle: readonly number[],
  middleShare: number,
): Weights => {
  const k = BigInt(Math.max(1, middle.length));
  const weights: Weights = new Map();
  for (const [index, share] of positions) add(weights, index, BigInt(share) * k);
  for (const i of middle) add(weights, i, BigInt(middleShare));
  return weights;
};

/** Indices strictly between `from` and `to` that hold none of `held`. */
const between = (from: number, to: number | null, held: ReadonlyArray<number | null>): number[] => {
  const middle: number[] = [];
  for (let i = from + 1; i < (to ?? from); i++) if (!held.includes(i)) middle.push(i);
  return middle;
};

const wShaped = (p: AttributionPath['positions']): Weights =>
  shaped(
    [
      [FT, 300],
      [p.LC, 300],
      [p.OC, 300],
    ],
    between(FT, p.OC, [p.LC]),
    100,
  );

/** 2^(-d / half-life), d in days before the latest touch (same ratios as before conversion). */
const timeDecay = (touches: readonly CreditTouch[]): Weights => {
  const ms = touches.map((t) => Date.parse(t.at));
  const latest = ms[ms.length - 1]!;
  const weights: Weights = new Map();
  ms.forEach((m, i) => {
    const relative = 2 ** (-(latest - m) / DAY_MS / HALF_LIFE_DAYS);
    // However old, a counted touch keeps a share (a row, maybe of 0 cents), as under LINEAR.
    add(weights, i, BigInt(Math.max(1, Math.round(relative * DECAY_SCALE))));
  });
  return weights;
};

/** The weight of each touch of a non-empty path under `model` (absent: no credit). */
const weigh = (path: AttributionPath, model: AttributionModel): Weights => {
  const { touches, positions: p } = path;
  const last = touches.length - 1;
  switch (model) {
    case 'FIRST_TOUCH':
      return add(new Map(), FT, 1n);
    case 'LAST_TOUCH':
      return add(new Map(), last, 1n);
    case 'LEAD_CREATION':
      return add(new Map(), p.LC, 1n);
    case 'LINEAR':
      return touches.reduce<Weights>((w, _, i) => add(w, i, 1n), new Map());
    case 'U_SHAPED':
      return shaped(
        [
          [FT, 400],
          [p.LC, 400],
        ],
        between(FT, p.LC, []),
        200,
      );
    case 'W_SHAPED':
      return wShaped(p);
    case 'FULL_PATH':
      // No win yet (pipeline credit): split as W_SHAPED.
      if (p.CW === null) return wShaped(p);
      return shaped(
        [
          [FT, 225],
          [p.LC, 225],
          [p.OC, 225],
          [p.CW, 225],
        ],
        between(FT, p.CW, [p.LC, p.OC]),
        100,
      );
    case 'TIME_DECAY':
      return timeDecay(touches);
  }
};

/** Splits `cents` by `weights`: floors, the residue to the largest (the first on a tie). */
const apportion = (cents: number, weights: readonly bigint[]): number[] => {
  const total = weights.reduce((a, b) => a + b, 0n);
  const amount = BigInt(cents);
  const shares = weights.map((w) => (amount * w) / total);
  const residue = amount - shares.reduce((a, b) => a + b, 0n);
  const largest = weights.reduce((best, w, i) => (w > weights[best]! ? i : best), 0);
  shares[largest]! += residue;
  return shares.map(Number);
};

/** An amount in major units as integer cents. */
export const centsOf = (amount: number): number => {
  if (!Number.isFinite(amount)) throw new RangeError(`amount must be finite, got ${amount}`);
  return Math.round(amount * 100);
};

const positionsOf = (path: AttributionPath, index: number): Position[] =>
  POSITIONS.filter((position) => path.positions[position] === index);

const creditsOn = (path: AttributionPath, model: AttributionModel, cents: number): Credit[] => {
  if (!path.touches.length) {
    return [{ key: UNATTRIBUTED, touch: null, positions: [], cents, credit: cents / 100 }];
  }
  const weights = [...weigh(path, model)].sort(([a], [b]) => a - b);
  const shares = apportion(
    cents,
    weights.map(([, w]) => w),
  );
  return weights.map(([index], i) => {
    const touch = path.touches[index]!;
    const share = shares[i]!;
    const positions = positionsOf(path, index);
    return { key: touch.touchId, touch, positions, cents: share, credit: share / 100 };
  });
};

/**
 * The credit per touch of one deal under `model`, in path order: the touches holding a share
 * of the model (a share may round to 0), or one `UNATTRIBUTED` row for a deal with no touch.
 */
export const computeCredits = (
  touches: readonly CreditTouch[],
  conversion: Conversion,
  model: AttributionModel,
): Credit[] => creditsOn(attributionPath(touches, conversion), model, centsOf(conversion.amount));

/** The credits of one deal under every model (the path is built once). */
export const computeAllCredits = (
  touches: readonly CreditTouch[],
  conversion: Conversion,
): Record<AttributionModel, Credit[]> => {
  const path = attributionPath(touches, conversion);
  const cents = centsOf(conversion.amount);
  return Object.fromEntries(
    ATTRIBUTION_MODELS.map((model) => [model, creditsOn(path, model, cents)]),
  ) as Record<AttributionModel, Credit[]>;
};
