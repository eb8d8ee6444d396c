import type { WorkingHours } from './world';

/** Office hours arithmetic on epoch milliseconds, Monday to Friday, in a fixed UTC offset. */

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Days since the epoch of the local calendar day holding `ms`. */
export const localDay = (ms: number, utcOffsetHours: number): number =>
  Math.floor((ms + utcOffsetHours * HOUR) / DAY);

/** 0 Sunday … 6 Saturday (1970-01-01 was a Thursday). */
export const weekday = (day: number): number => (((day + 4) % 7) + 7) % 7;

export const isWeekend = (day: number): boolean => weekday(day) === 0 || weekday(day) === 6;

/** UTC milliseconds of `hour` (fractional) on local day `day`. */
export const localTime = (day: number, hour: number, utcOffsetHours: number): number =>
  day * DAY + (hour - utcOffsetHours) * HOUR;

/** `ms` itself when inside office hours, else the start of the next office day. */
export const nextWorkingInstant = (ms: number, hours: WorkingHours): number => {
  const { utcOffsetHours: offset, startHour, endHour } = hours;
  for (let day = localDay(ms, offset); ; day += 1) {
    if (isWeekend(day)) continue;
    const start = localTime(day, startHour, offset);
    const end = localTime(day, endHour, offset);
    if (ms < start) return start;
    if (ms < end) return ms;
  }
};

export const isWorking = (ms: number, hours: WorkingHours): boolean =>
  nextWorkingInstant(ms, hours) === ms;

/** `minutes` of office time after `ms` (office time only counts inside office hours). */
export const addWorkingMinutes = (ms: number, minutes: number, hours: WorkingHours): number => {
  const { utcOffsetHours: offset, endHour } = hours;
  let at = nextWorkingInstant(ms, hours);
  let remaining = Math.max(0, minutes) * MINUTE;
  for (;;) {
    const end = localTime(localDay(at, offset), endHour, offset);
    if (at + remaining <= end) return Math.round(at + remaining);
    remaining -= end - at;
    at = nextWorkingInstant(end, hours);
  }
};
