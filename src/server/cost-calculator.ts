import type { ConfigIssue } from '../config/config-error.js';
import type { GatewayConfig } from '../config/schema.js';
import type { CostCalculator } from '../pipeline/cost.js';
import type { Target } from '../pipeline/target.js';
import { costOf, estimateMaxCost, estimateUnitCost, formatUsd, loadPricingCatalog, reservedOutputTokens } from '../pricing/index.js';

/** Prices requests from the shipped catalog plus the config's `pricing` overrides. */
export function createCostCalculator(config: GatewayConfig, issues: ConfigIssue[]): CostCalculator {
  const catalog = loadPricingCatalog(config.pricing);
  for (const issue of catalog.issues) issues.push({ path: issue.path, message: issue.message });
  const priceOf = (target: Target) => catalog.lookup(target.provider.settings.type, target.provider.name, target.model);
  return {
    cost: (target, usage) => {
      const cost = costOf(usage, priceOf(target));
      return { usd: cost.usd, known: cost.known, femtoUsd: cost.femtoUsd, exact: formatUsd(cost.femtoUsd) };
    },
    reservedOutput: (target, maxOutputTokens) => reservedOutputTokens(priceOf(target), maxOutputTokens, config.governance.reserved_output_tokens),
    maxCost: (target, inputTokens, maxOutputTokens, units) => {
      const price = priceOf(target);
      if (price === undefined) return units?.freeUnlessPriced === true ? 0 : undefined;
      const unitCost = units === undefined ? undefined : estimateUnitCost(units, price);
      if (unitCost !== undefined) return unitCost.usd;
      return estimateMaxCost(price, inputTokens, maxOutputTokens, config.governance.reserved_output_tokens).usd;
    },
  };
}
