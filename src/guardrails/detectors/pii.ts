import { isIPv6 } from 'node:net';
import { ibanValid, luhnValid } from './checksums.js';
import { afterWordCharacter, scanPatterns, selectTypes, type DetectorPlugin, type PatternSpec } from './detector.js';
import { findEmails, findIpv6 } from './fast-finders.js';

/** Card number prefixes of the networks (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro). */
const CARD_PREFIX = /^(?:4|5[1-5]|2[2-7]|3[47]|6(?:011|5|4[4-9]|2)|35|30[0-5]|3[689]|5018|5020|5038|6304|67)/;

function cardNumber(value: string): boolean {
  const digits = value.replace(/[ -]/g, '');
  if (digits.length < 13 || digits.length > 19) return false;
  // One separator style throughout (4111 1111 1111 1111 or 4111-1111-…), or none.
  if (/ /.test(value) && /-/.test(value)) return false;
  return CARD_PREFIX.test(digits) && cardLength(digits) && luhnValid(digits) && !/^(\d)\1+$/.test(digits);
}

/** The lengths each network issues: Amex 15, Visa 13/16/19, Mastercard 16, Diners 14–19, others 16–19. */
function cardLength(digits: string): boolean {
  const length = digits.length;
  if (/^3[47]/.test(digits)) return length === 15;
  if (digits[0] === '4') return length === 13 || length === 16 || length === 19;
  if (/^(?:5[1-5]|2[2-7])/.test(digits)) return length === 16;
  if (/^3[0689]/.test(digits)) return length >= 14;
  return length >= 16;
}

/** The longest prefix of space-separated groups that is a valid IBAN (a sentence may go on in capitals after it). */
function ibanLength(value: string): number {
  let candidate = value;
  for (;;) {
    if (ibanValid(candidate.replace(/ /g, ''))) return candidate.length;
    const space = candidate.lastIndexOf(' ');
    if (space < 15) return 0;
    candidate = candidate.slice(0, space);
  }
}

function phoneNumber(value: string, text: string, start: number): boolean {
  const digits = value.replace(/\D/g, '').length;
  if (digits < 10 || digits > 15) return false;
  // Dotted quads are addresses.
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(value)) return false;
  // Part of a longer number, a dotted version or a date: not a phone number.
  const before = text[start - 1];
  return before === undefined || !/[\d.\w/-]/.test(before);
}

function ipv4(value: string, text: string, start: number): boolean {
  if (afterWordCharacter(text, start) || text[start - 1] === '.' || !value.split('.').every((octet) => Number(octet) <= 255 && (octet.length === 1 || octet[0] !== '0'))) return false;
  const before = text.slice(Math.max(0, start - 9), start);
  const after = text.slice(start + value.length, start + value.length + 2);
  // `v1.2.3.4`, `version 1.2.3.4` and longer dotted numbers are versions, not addresses.
  return !/(?:\bv|version\s?|[\d.])$/i.test(before) && !/^\.\d/.test(after);
}

const PATTERNS: readonly PatternSpec[] = [
  { type: 'email', find: findEmails },
  { type: 'credit_card', regex: /\b\d(?:[ -]?\d){12,18}\b/g, accept: cardNumber },
  { type: 'iban', regex: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/g, accept: ibanLength },
  { type: 'us_ssn', regex: /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b/g, anchors: ['-'] },
  {
    type: 'phone',
    regex: /(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?|\b\d{1,4}[ .-])(?:\d{2,4}[ .-]){0,3}\d{2,8}\b|\+\d{10,14}\b/g,
    accept: phoneNumber,
  },
  { type: 'ip_address', regex: /\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\d.])/g, accept: ipv4 },
  {
    type: 'ip_address',
    find: findIpv6,
    accept: (value) => isIPv6(value) && (value.match(/:/g)?.length ?? 0) >= 2,
  },
];

export const PII_TYPES: readonly string[] = [...new Set(PATTERNS.map((spec) => spec.type))];

export const piiDetector: DetectorPlugin = {
  name: 'pii',
  knownTypes: PII_TYPES,
  create(rule) {
    const patterns = selectTypes(PATTERNS, PII_TYPES, rule.types, 'pii');
    return { types: [...new Set(patterns.map((spec) => spec.type))], scan: (text) => scanPatterns(patterns, text) };
  },
};
