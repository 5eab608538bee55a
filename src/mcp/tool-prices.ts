import type { McpServerConfig } from '../config/mcp-schema.js';
import type { RequestCost } from '../pipeline/context.js';
import { femtoFromUsd, formatUsd } from '../pricing/money.js';
import { compilePattern, type ToolPattern } from './tool-patterns.js';

/**
 * A server's tool prices (`tool_prices`, `price_per_call`), compiled once: the price of one call as
 * an exact cost (femto-USD from the decimal as written), or undefined when the tool is unpriced.
 * A pattern names the tool alone (`search`, `read_*`) or with its server (`docs__search`).
 */
export class ToolPrices {
  private readonly rules: { pattern: ToolPattern; cost: RequestCost }[];
  private readonly fallback: RequestCost | undefined;

  constructor(
    private readonly server: string,
    config: Pick<McpServerConfig, 'tool_prices' | 'price_per_call'>,
  ) {
    this.rules = Object.entries(config.tool_prices).map(([pattern, usd]) => ({ pattern: compilePattern(pattern), cost: exactCost(usd) }));
    this.fallback = config.price_per_call === undefined ? undefined : exactCost(config.price_per_call);
  }

  /** The cost of one call of `tool` (the server's own name for it). */
  of(tool: string): RequestCost | undefined {
    const namespaced = `${this.server}__${tool}`;
    for (const rule of this.rules) if (rule.pattern.matches(tool) || rule.pattern.matches(namespaced)) return rule.cost;
    return this.fallback;
  }
}

function exactCost(usd: number): RequestCost {
  const femtoUsd = femtoFromUsd(usd);
  return { usd, known: true, femtoUsd, exact: formatUsd(femtoUsd) };
}
