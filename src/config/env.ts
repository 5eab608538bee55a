import { ConfigIssue } from './config-error.js';

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` (and `${VAR:-default}`) in every string of a parsed config. A reference to an
 * unset variable without a default is an issue at that path; the value is never echoed back.
 */
export function expandEnvironment(value: unknown, environment: NodeJS.ProcessEnv, path: string, issues: ConfigIssue[]): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    return value.replace(REFERENCE, (match: string, name: string, fallback: string | undefined) => {
      const found = environment[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      issues.push({ path, message: `environment variable ${name} is not set`, fix: `export ${name}=… before starting, or write \${${name}:-default} to give a default` });
      return match;
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => expandEnvironment(item, environment, `${path}[${index}]`, issues));
  if (value !== null && typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) result[key] = expandEnvironment(item, environment, path === '' ? key : `${path}.${key}`, issues);
    return result;
  }
  return value;
}
