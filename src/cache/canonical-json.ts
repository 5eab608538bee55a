/**
 * JSON with every object's keys sorted and `undefined` members left out, so two values that
 * parse the same write the same text: key order, number spelling (`1`, `1.0`, `1e0`) and the
 * whitespace of the JSON they came from never show. Arrays keep their order (it is meaning).
 */
export function canonicalJson(value: unknown): string {
  return write(value) ?? 'null';
}

/** The canonical JSON of `value`, or undefined for what an object leaves out (undefined, functions, symbols). */
export function write(value: unknown): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return jsonString(value);
    case 'number':
      // As JSON.stringify writes numbers (-0 as 0, non-finite ones as null) without its call into the runtime.
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'object': {
      if (Array.isArray(value)) {
        let text = '[';
        for (let index = 0; index < value.length; index++) text += (index === 0 ? '' : ',') + (write(value[index]) ?? 'null');
        return `${text}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let text = '{';
      let first = true;
      for (const key of keys) {
        const member = write(record[key]);
        if (member === undefined) continue;
        text += `${first ? '' : ','}${jsonString(key)}:${member}`;
        first = false;
      }
      return `${text}}`;
    }
    default:
      // undefined, functions and symbols: left out of objects, null in arrays (as JSON.stringify does).
      return undefined;
  }
}

/** Characters JSON.stringify writes escaped: the quote, the backslash, control characters and (lone) surrogates. */
const ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * A string as JSON.stringify writes it, exactly: quoted as it is when nothing in it is escaped
 * (a regular-expression test is about a third of JSON.stringify's cost on a short string), else
 * by JSON.stringify. Strings with surrogates, even paired, take the long way.
 */
export function jsonString(text: string): string {
  return ESCAPED.test(text) ? JSON.stringify(text) : `"${text}"`;
}
