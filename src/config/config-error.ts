/** One problem found in a config file: where, what, and how to fix it. */
export interface ConfigIssue {
  /** Dotted path, e.g. `providers.openai.keys[0].value`. */
  path: string;
  message: string;
  fix?: string;
}

/** Thrown by config loading; its message lists every issue, one per line. */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  constructor(source: string, issues: readonly ConfigIssue[]) {
    super(`Invalid configuration in ${source}:\n${issues.map(formatIssue).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export function formatIssue(issue: ConfigIssue): string {
  return `  ${issue.path || '(root)'}: ${issue.message}${issue.fix ? `. Fix: ${issue.fix}` : ''}`;
}
