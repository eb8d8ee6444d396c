/** Reports bucket facts by UTC day (`YYYY-MM-DD`, which sorts as text). */

export const dayOf = (instant: string): string => new Date(instant).toISOString().slice(0, 10);

/**
 * The days a report over the instants [from, to) reads: every day that starts before `to` and
 * ends after `from` (partial days count whole). Undefined when the range is empty.
 */
export const daysCovering = (
  from: string,
  to: string,
): { gte: string; lte: string } | undefined => {
  const start = Date.parse(from);
  const end = Date.parse(to);
  if (Number.isNaN(start) || Number.isNaN(end))
    throw new RangeError('from and to must be instants');
  if (end <= start) return undefined;
  return { gte: dayOf(from), lte: dayOf(new Date(end - 1).toISOString()) };
};
