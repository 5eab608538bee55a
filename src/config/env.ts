import { ConfigIssue } from './config-error.js';

const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

/**
 * Replaces `${VAR}` (and `${VAR:-default}`, whose default may itself hold references, as in
 * `${KEY_2:-${KEY}}`) in every string of a parsed config. A reference to an unset variable without
 * a default is an issue at that path; the value is never echoed back. Values taken from the
 * environment are not expanded again.
 */
export function expandEnvironment(value: unknown, environment: NodeJS.ProcessEnv, path: string, issues: ConfigIssue[]): unknown {
  if (typeof value === 'string') return value.includes('${') ? expandString(value, environment, path, issues) : value;
  if (Array.isArray(value)) return value.map((item, index) => expandEnvironment(item, environment, `${path}[${index}]`, issues));
  if (value !== null && typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) result[key] = expandEnvironment(item, environment, path === '' ? key : `${path}.${key}`, issues);
    return result;
  }
  return value;
}

function expandString(text: string, environment: NodeJS.ProcessEnv, path: string, issues: ConfigIssue[]): string {
  let result = '';
  let index = 0;
  for (;;) {
    const start = text.indexOf('${', index);
    if (start === -1) return result + text.slice(index);
    result += text.slice(index, start);
    const end = closingBrace(text, start + 2);
    // An unterminated `${` is plain text.
    if (end === -1) return result + text.slice(start);
    index = end + 1;
    const match = REFERENCE.exec(text.slice(start + 2, end));
    if (match === null) {
      result += text.slice(start, index);
      continue;
    }
    const [, name, fallback] = match as unknown as [string, string, string | undefined];
    const found = environment[name];
    if (found !== undefined && found !== '') result += found;
    else if (fallback !== undefined) result += expandString(fallback, environment, path, issues);
    else {
      issues.push({ path, message: `environment variable ${name} is not set`, fix: `export ${name}=… before starting, or write \${${name}:-default} to give a default` });
      result += text.slice(start, index);
    }
  }
}

/** Index of the `}` closing a reference whose body starts at `from`, counting nested `${…}`; -1 if none. */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let index = from; index < text.length; index++) {
    if (text.startsWith('${', index)) {
      depth++;
      index++;
    } else if (text[index] === '}' && --depth === 0) return index;
  }
  return -1;
}
