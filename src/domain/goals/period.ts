import { z } from 'zod';

/** A year (`2026`), a quarter (`2026-Q3`) or a month (`2026-07`). */
export const Period = z
  .string()
  .regex(
    /^\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$/,
    'a year (2026), quarter (2026-Q3) or month (2026-07)',
  );

const day = (year: number, monthIndex: number, date: number): string =>
  new Date(Date.UTC(year, monthIndex, date)).toISOString().slice(0, 10);

/** First and last calendar day of a period, both included. */
export const periodBounds = (period: string): { periodStart: string; periodEnd: string } => {
  const year = Number(period.slice(0, 4));
  const rest = period.slice(5);
  const [first, months] = rest.startsWith('Q')
    ? [(Number(rest.slice(1)) - 1) * 3, 3]
    : rest
      ? [Number(rest) - 1, 1]
      : [0, 12];
  return { periodStart: day(year, first, 1), periodEnd: day(year, first + months, 0) };
};
