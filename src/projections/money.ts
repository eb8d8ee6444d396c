/**
 * Money in read models is kept as integers of the currency's minor unit (cents for EUR, yen for
 * JPY, fils for BHD): sums of integers do not depend on the order or batching of the events, so
 * a rebuild gives the very same documents. Reports turn them back into major units.
 */

const digits = new Map<string, number>();

/** Decimal places of a currency's minor unit (ISO 4217, as Intl knows it). */
export const minorDigits = (currency: string): number => {
  let d = digits.get(currency);
  if (d === undefined) {
    d = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
      .maximumFractionDigits!;
    digits.set(currency, d);
  }
  return d;
};

export const toMinor = (amount: number, currency: string): number =>
  Math.round(amount * 10 ** minorDigits(currency));

export const fromMinor = (minor: number, currency: string): number =>
  minor / 10 ** minorDigits(currency);

/** An amount rounded to the currency's minor unit (for amounts computed at read time). */
export const roundMoney = (amount: number, currency: string): number =>
  fromMinor(toMinor(amount, currency), currency);

/**
 * `minor` split into `n` integer shares that differ by at most one unit and sum to it exactly:
 * the first `minor mod n` shares take the extra unit.
 */
export const splitMinor = (minor: number, n: number): number[] => {
  const base = Math.floor(minor / n);
  const rest = minor - base * n;
  return Array.from({ length: n }, (_, i) => base + (i < rest ? 1 : 0));
};

/** Money by currency (minor units) read from a stored object, ignoring anything else. */
export type MinorByCurrency = Record<string, number>;

/** Major units per currency, sorted by currency, zero amounts left out. */
export const moneyList = (minor: MinorByCurrency): Array<{ currency: string; amount: number }> =>
  Object.keys(minor)
    .sort()
    .filter((c) => minor[c] !== 0)
    .map((currency) => ({ currency, amount: fromMinor(minor[currency]!, currency) }));
