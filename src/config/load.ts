import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { expandEnvironment } from './env.js';
import { describeSchemaIssue } from './issue-text.js';
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
  if (!result.success) issues.push(...result.error.issues.map((issue) => describeSchemaIssue(issue, raw, expanded)));
  if (issues.length > 0) throw new ConfigError(source, issues);
  return result.data!;
}

export { formatPath } from './issue-text.js';
