/**
 * Hand-written searches for shapes whose regexes would try every position of a long text
 * (an e-mail's local part, an IPv6 address, a secret's name): each starts from a cheap
 * `indexOf` of the character or word the shape must contain, so text without it costs one scan.
 */

const LOCAL = /[A-Za-z0-9._%+-]/;
const DOMAIN = /(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}\b/y;

/** E-mail addresses, found from each `@`: the local part backwards, the domain forwards. */
export function* findEmails(text: string): Generator<readonly [number, number]> {
  let at = text.indexOf('@');
  while (at !== -1) {
    let start = at;
    while (start > 0 && at - start < 64 && LOCAL.test(text[start - 1]!)) start--;
    // The local part starts with a letter or digit.
    while (start < at && !/[A-Za-z0-9]/.test(text[start]!)) start++;
    DOMAIN.lastIndex = at + 1;
    const domain = start < at ? DOMAIN.exec(text) : null;
    if (domain !== null) {
      yield [start, at + 1 + domain[0].length];
      at = text.indexOf('@', at + 1 + domain[0].length);
    } else at = text.indexOf('@', at + 1);
  }
}

function isHexOrColon(code: number): boolean {
  return code === 58 || (code >= 48 && code <= 57) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}

function isWord(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

/** IPv6 candidates: each maximal run of hex digits and colons holding at least two colons, not inside a word. */
export function* findIpv6(text: string): Generator<readonly [number, number]> {
  let colon = text.indexOf(':');
  while (colon !== -1) {
    let start = colon;
    while (start > 0 && isHexOrColon(text.charCodeAt(start - 1))) start--;
    let end = colon + 1;
    while (end < text.length && isHexOrColon(text.charCodeAt(end))) end++;
    const before = start > 0 ? text.charCodeAt(start - 1) : 32;
    const after = end < text.length ? text.charCodeAt(end) : 32;
    if (end - start >= 3 && !isWord(before) && !isWord(after)) yield [start, end];
    colon = text.indexOf(':', end);
  }
}

const SECRET_NAME = /api[_-]?key|apikey|secret|token|passwd|password|pwd|credential|auth[_-]?key|private[_-]?key|access[_-]?key/gi;
const ASSIGNED = /[\w.-]{0,30}["']?\s{0,3}(?::=|=>|[:=])\s{0,3}["']?([^\s"',;`(){}[\]<>]{12,256})/y;

/** Values assigned to a secret-sounding name (`password = …`, `"api_key": "…"`): the value only. */
export function* findAssignedValues(text: string): Generator<readonly [number, number]> {
  SECRET_NAME.lastIndex = 0;
  let name: RegExpExecArray | null;
  while ((name = SECRET_NAME.exec(text)) !== null) {
    ASSIGNED.lastIndex = name.index + name[0].length;
    const assigned = ASSIGNED.exec(text);
    if (assigned === null) continue;
    const end = ASSIGNED.lastIndex;
    yield [end - assigned[1]!.length, end];
    SECRET_NAME.lastIndex = end;
  }
}
