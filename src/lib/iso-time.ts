/**
 * ISO 8601 timestamps (`2026-11-30T05:20:13.042Z`) for log lines and request records, without
 * `Date.prototype.toISOString`'s formatting machinery on every call (about 7,000 instructions each
 * in Node 20, called twice per request): the text up to the second is kept and reused while the
 * second lasts, and only the milliseconds are appended. Two seconds are kept, the newest and the
 * one before: around a second's turn, requests that started in the old second and lines written
 * in the new one alternate, and one kept second was formatted again at each change. `isoTimeMs`
 * reads such a text back from its digits. Both agree with `Date` for every time; outside years
 * 0–9999 they defer to it.
 */
let newestSecond = Number.NaN;
let newestPrefix = '';
let olderSecond = Number.NaN;
let olderPrefix = '';

function prefixFor(second: number): string {
  if (second === newestSecond) return newestPrefix;
  if (second === olderSecond) return olderPrefix;
  const prefix = new Date(second * 1000).toISOString().slice(0, 20);
  if (second > newestSecond || Number.isNaN(newestSecond)) {
    olderSecond = newestSecond;
    olderPrefix = newestPrefix;
    newestSecond = second;
    newestPrefix = prefix;
  } else {
    olderSecond = second;
    olderPrefix = prefix;
  }
  return prefix;
}

/** `new Date(ms).toISOString()`, for a whole or fractional number of milliseconds since the epoch. */
export function isoTime(ms: number): string {
  const whole = Math.floor(ms);
  if (!(whole >= MIN_MS && whole <= MAX_MS)) return new Date(whole).toISOString();
  const second = Math.floor(whole / 1000);
  const millis = whole - second * 1000;
  return `${prefixFor(second)}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}

/**
 * `Date.parse(text)`. Texts in `isoTime`'s own form (`YYYY-MM-DDTHH:MM:SS.mmmZ`) are read from
 * their digits: the request log turns each record's timestamp back into epoch milliseconds when it
 * stores the batch, by then often in a later second than any kept one, and Date.parse took about
 * 2,300 instructions a record. Any other text, or a date that does not exist (February 30th),
 * goes to Date.parse.
 */
export function isoTimeMs(text: string): number {
  if (
    text.length !== 24 ||
    text.charCodeAt(4) !== 45 /* - */ ||
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 /* T */ ||
    text.charCodeAt(13) !== 58 /* : */ ||
    text.charCodeAt(16) !== 58 ||
    text.charCodeAt(19) !== 46 /* . */ ||
    text.charCodeAt(23) !== 90 /* Z */
  ) {
    return Date.parse(text);
  }
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  const millis = digits(text, 20, 3);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || millis < 0) {
    return Date.parse(text);
  }
  return daysFromCivil(year, month, day) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + millis;
}

/** Days from 1970-01-01 to a date of the proleptic Gregorian calendar (years 0 and on): arithmetic, no Date call. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** The number `count` digits at `start` spell, or a negative one when any of them is not a digit. */
function digits(text: string, start: number, count: number): number {
  let value = 0;
  for (let index = start; index < start + count; index++) {
    const code = text.charCodeAt(index) - 48;
    if (code < 0 || code > 9) return -1;
    value = value * 10 + code;
  }
  return value;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the years toISOString writes with four digits. */
const MIN_MS = -62_167_219_200_000;
const MAX_MS = 253_402_300_799_999;
