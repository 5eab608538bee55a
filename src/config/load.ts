import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { expandEnvironment } from './env.js';
import { configSchema, type GatewayConfig } from './schema.js';

/** Reads, expands and validates a YAML or JSON config file. Throws ConfigError listing every problem. */
export async function loadConfigFile(file: string, environment: NodeJS.ProcessEnv = process.env): Promise<GatewayConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [{ path: '', message: code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? String(error)})`, fix: 'pass an existing YAML or JSON file with --config' }]);
  }
  return parseConfigText(text, file, environment);
}

export function parseConfigText(text: string, source: string, environment: NodeJS.ProcessEnv = process.env): GatewayConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` at line ${error.linePos[0].line}, column ${error.linePos[0].col}` : '';
    throw new ConfigError(source, [{ path: '', message: `not valid YAML or JSON${where}: ${(error as Error).message.split('\n')[0]}` }]);
  }
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(source, [{ path: '', message: 'the config must be a mapping of sections (server, providers, …)' }]);
  return validateConfig(raw, source, environment);
}

export function validateConfig(raw: unknown, source: string, environment: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const issues: ConfigIssue[] = [];
  const expanded = expandEnvironment(raw, environment, '', issues);
  const result = configSchema.safeParse(expanded);
  if (!result.success) issues.push(...result.error.issues.map(toConfigIssue));
  if (issues.length > 0) throw new ConfigError(source, issues);
  return result.data!;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text;
}

function toConfigIssue(issue: z.core.$ZodIssue): ConfigIssue {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return { path, message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `\`${key}\``).join(', ')}`, fix: 'check the spelling against docs/configuration.md' };
  }
  if (issue.code === 'invalid_type') {
    return { path, message: issue.message.replace(/^Invalid input: /, ''), fix: `give ${path || 'it'} a value of type ${issue.expected}` };
  }
  return { path, message: issue.message.replace(/^Invalid input: /, '') };
}
