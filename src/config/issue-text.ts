import type { z } from 'zod';
import type { ConfigIssue } from './config-error.js';

/**
 * Keys whose values are (or may hold) secrets: provider keys, tokens, header values, connection
 * URLs with passwords. A bad value under one of them is described by its type, never shown.
 */
const SECRET_KEYS = new Set(['value', 'token', 'secret', 'password', 'metrics_token', 'headers', 'url']);

const TYPE_NAMES: Record<string, string> = {
  int: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
};

/**
 * One schema problem → a config issue that names the path, the bad value (unless it may be a
 * secret or came from the environment) and the fix. `raw` is the file as parsed, before `${VAR}`
 * expansion; `expanded` is what the schema saw.
 */
export function describeSchemaIssue(issue: z.core.$ZodIssue, raw: unknown, expanded: unknown): ConfigIssue {
  const path = formatPath(issue.path);
  const value = valueAt(expanded, issue.path);
  const shown = showValue(value, isSecretPath(issue.path) || fromEnvironment(valueAt(raw, issue.path)));
  const message = issue.message.replace(/^Invalid input: /, '');
  switch (issue.code) {
    case 'unrecognized_keys':
      return { path, message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `\`${key}\``).join(', ')}`, fix: 'check the spelling against docs/configuration.md' };
    case 'invalid_type': {
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      if (value === undefined) return { path, message: 'is required', fix: `give ${path} ${expected}` };
      return { path, message: `expected ${expected}, got ${shown}`, fix: `give ${path} ${expected}` };
    }
    case 'invalid_value': {
      const allowed = issue.values.map((item) => String(item));
      return { path, message: `${shown} is not allowed here`, fix: allowed.length === 1 ? `use ${allowed[0]}` : `use one of: ${allowed.join(', ')}` };
    }
    case 'too_small':
    case 'too_big':
      return { path, message: `${isDefaultMessage(message) ? boundText(issue) : message}${issue.origin === 'number' ? `, got ${shown}` : ''}` };
    case 'invalid_key': {
      const reason = issue.issues[0]?.message ?? 'not a valid name';
      const name = issue.path[issue.path.length - 1];
      return { path, message: `${JSON.stringify(String(name))} is not a valid name: ${reason}`, fix: 'rename it' };
    }
    case 'invalid_format':
    case 'invalid_union':
    case 'not_multiple_of':
      return { path, message: `${message}, got ${shown}` };
    default:
      return { path, message };
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

function isSecretPath(path: readonly PropertyKey[]): boolean {
  return path.some((segment) => typeof segment === 'string' && SECRET_KEYS.has(segment));
}

function fromEnvironment(raw: unknown): boolean {
  return typeof raw === 'string' && raw.includes('${');
}

/** The value as it appears in YAML (strings quoted, long ones cut), or only its kind when hidden. */
function showValue(value: unknown, hidden: boolean): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (hidden) return typeof value === 'string' ? 'a string (not shown)' : `a ${typeof value} (not shown)`;
  if (typeof value === 'string') {
    // Credentials inside a URL (`user:password@host`) are cut out before anything is shown.
    const safe = value.replace(/[^\s/@:]+:[^\s/@]*@/g, '…@');
    return JSON.stringify(safe.length > 60 ? `${safe.slice(0, 60)}…` : safe);
  }
  return String(value);
}

function isDefaultMessage(message: string): boolean {
  return message.startsWith('Too small') || message.startsWith('Too big');
}

function boundText(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const small = issue.code === 'too_small';
  const bound = Number(small ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum);
  const inclusive = issue.inclusive !== false;
  if (issue.origin === 'array') return `needs ${small ? 'at least' : 'at most'} ${bound} item${bound === 1 ? '' : 's'}`;
  if (issue.origin === 'string') return `needs ${small ? 'at least' : 'at most'} ${bound} character${bound === 1 ? '' : 's'}`;
  if (small) return inclusive ? `must be at least ${bound}` : `must be greater than ${bound}`;
  return inclusive ? `must be at most ${bound}` : `must be less than ${bound}`;
}
