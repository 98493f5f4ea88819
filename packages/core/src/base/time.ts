/**
 * The one rule for times given by people and files: ISO 8601 with a time of day and a time zone,
 * parsed strictly (a real date, a real offset); the postmortem's times and the rollback's
 * `detected-at` both go through it.
 */
import { UserError } from './errors.js';

const EXTENDED = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;
const BASIC = /^(\d{4})(\d{2})(\d{2})[Tt](\d{2})(\d{2})(?:(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}(?:\d{2})?)?$/;
const DATE_ONLY = /^\d{4}-?\d{2}-?\d{2}$/;

/**
 * Parses an ISO 8601 date and time with a time zone (`2026-03-01T10:14:00Z`,
 * `2026-03-01T11:14+01:00`, `20260301T101400Z`; a space instead of `T` is accepted, as RFC 3339
 * allows). Anything else throws a UserError naming `what` and saying what was expected.
 */
export function parseIsoTime(value: string, what: string): Date {
  const text = value.trim();
  const example = 'such as 2026-03-01T10:14:00Z or 2026-03-01T11:14:00+01:00';
  const match = EXTENDED.exec(text) ?? BASIC.exec(text);
  if (!match) {
    if (DATE_ONLY.test(text)) {
      throw new UserError(`${what} is ${JSON.stringify(value)}, a date without a time of day.`, `Give an ISO 8601 date and time ${example}.`);
    }
    throw new UserError(`${what} is ${JSON.stringify(value)}, which is not an ISO 8601 date and time.`, `Give one ${example}.`);
  }
  const [, y, mo, d, h, mi, s = '0', fraction = '', zone] = match;
  if (!zone) {
    throw new UserError(
      `${what} is ${JSON.stringify(value)}, which has no time zone.`,
      'Add `Z` for UTC or an offset such as `+01:00` (a time without a zone means different instants on different machines).',
    );
  }
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  let offsetMinutes = 0;
  if (!/^[Zz]$/.test(zone)) {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2) || '0');
    if (oh > 23 || om > 59) {
      throw new UserError(`${what} is ${JSON.stringify(value)}: the offset ${zone} is not a valid time zone offset.`, `Give one ${example}.`);
    }
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  const broken =
    month < 1 || month > 12
      ? `there is no month ${month}`
      : day < 1 || day > daysInMonth
        ? `${y}-${mo} has no day ${day}`
        : hour > 23
          ? `there is no hour ${hour}`
          : minute > 59
            ? `there is no minute ${minute}`
            : second > 59
              ? `second ${second} is not supported`
              : undefined;
  if (broken) throw new UserError(`${what} is ${JSON.stringify(value)}, which is not a real time: ${broken}.`, `Give one ${example}.`);
  const ms = Number(`0.${fraction || '0'}`) * 1000;
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, Math.floor(ms)) - offsetMinutes * 60_000);
}

/** `2026-03-01T10:14:00Z` (UTC; milliseconds only when not zero). */
export function formatIsoTime(date: Date): string {
  return date.toISOString().replace('.000Z', 'Z');
}
