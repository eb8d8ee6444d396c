/**
 * Quantiles of durations from counts that projections can keep with `inc` alone.
 *
 * A duration (in seconds) falls in log bucket `i = ceil(log_γ(v))`, the interval (γ^(i-1), γ^i],
 * with γ = (1 + α) / (1 - α). Reporting the bucket's midpoint 2γ^i / (γ + 1) is then at most
 * α = 1% away from any value in it (relative). Durations under one second share the zero bucket
 * and are reported as 0. Buckets are counts, so histograms of any days or groups merge by
 * addition, and the estimate of a quantile is within 1% of the exact one: the value of rank
 * max(1, ceil(q·n)) in ascending order (the nearest-rank definition).
 */

/** The bound on |estimate - exact| / exact for durations of at least `MIN_SECONDS`. */
export const RELATIVE_ERROR = 0.01;
/** Shorter durations are counted as 0 (absolute error under a second). */
export const MIN_SECONDS = 1;

const GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR);
const LOG_GAMMA = Math.log(GAMMA);
const ZERO_BUCKET = 'z';

/** Bucket key -> count. Keys start with a letter so they are safe in dotted paths. */
export type Histogram = Record<string, number>;

/** The key of the bucket holding a duration (negative durations count as 0). */
export const bucketOf = (seconds: number): string =>
  !(seconds >= MIN_SECONDS) ? ZERO_BUCKET : `b${Math.ceil(Math.log(seconds) / LOG_GAMMA)}`;

const bucketIndex = (key: string): number =>
  key === ZERO_BUCKET ? Number.NEGATIVE_INFINITY : Number(key.slice(1));

const midpoint = (key: string): number => {
  const i = bucketIndex(key);
  return i === Number.NEGATIVE_INFINITY ? 0 : (2 * GAMMA ** i) / (GAMMA + 1);
};

/** Adds `from` into `into` (a merge of two histograms is their sum). */
export const addInto = (into: Histogram, from: Histogram | undefined): Histogram => {
  if (from) for (const [key, count] of Object.entries(from)) into[key] = (into[key] ?? 0) + count;
  return into;
};

/** The 1-based rank of the q-quantile among n sorted values (nearest rank; q·n rounded up). */
export const nearestRank = (q: number, n: number): number =>
  Math.min(n, Math.max(1, Math.ceil(q * n - 1e-9)));

/** The estimated q-quantile (0 < q <= 1), in seconds; null for an empty histogram. */
export const quantile = (histogram: Histogram, q: number): number | null => {
  const buckets = Object.entries(histogram)
    .filter(([, count]) => count > 0)
    .sort(([a], [b]) => bucketIndex(a) - bucketIndex(b));
  const total = buckets.reduce((n, [, count]) => n + count, 0);
  if (total === 0) return null;
  const rank = nearestRank(q, total);
  let seen = 0;
  for (const [key, count] of buckets) {
    seen += count;
    if (seen >= rank) return midpoint(key);
  }
  return midpoint(buckets[buckets.length - 1]![0]);
};

/** Reads stored counts (a histogram, or counts by stage or reason), ignoring anything else. */
export const countsOf = (value: unknown): Histogram => {
  const histogram: Histogram = {};
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, count] of Object.entries(value)) {
      if (typeof count === 'number') histogram[key] = count;
    }
  }
  return histogram;
};
