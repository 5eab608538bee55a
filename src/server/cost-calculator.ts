import type { ConfigIssue } from '../config/config-error.js';
import type { GatewayConfig } from '../config/schema.js';
import type { CostCalculator } from '../pipeline/cost.js';
import type { Target } from '../pipeline/target.js';
import { costOf, estimateMaxCost, estimateUnitCost, formatUsd, loadPricingCatalog, reservedOutputTokens, SourceDataError, usdNumber, type CatalogVersion, type PricingCatalog } from '../pricing/index.js';

/** A cost calculator with the provenance of its catalog (for `/health` and the start-up log). */
export interface PricedCostCalculator extends CostCalculator {
  readonly pricing: CatalogVersion & { readonly build_ms: number };
}

/**
 * Prices requests from the maintained data (the installed @pydantic/genai-prices, or config
 * `pricing_data`), the project file and the config's `pricing` overrides. A `pricing_data` file that
 * cannot be read or is not genai-prices data is a config issue naming the path and the fix.
 */
export function createCostCalculator(config: GatewayConfig, issues: ConfigIssue[]): PricedCostCalculator {
  const started = performance.now();
  let catalog: PricingCatalog;
  try {
    catalog = loadPricingCatalog(config.pricing, config.pricing_data == null ? {} : { source: config.pricing_data });
  } catch (error) {
    if (!(error instanceof SourceDataError)) throw error;
    issues.push({
      path: 'pricing_data',
      message: `${error.path} is not a usable genai-prices data file: ${error.problems.slice(0, 3).join('; ')}`,
      fix: 'run `tollgate prices update --out <path>` to download a valid file, or remove pricing_data to use the installed @pydantic/genai-prices data',
    });
    catalog = loadPricingCatalog(config.pricing, { source: false });
  }
  const pricing = { ...catalog.version, build_ms: Math.round((performance.now() - started) * 10) / 10 };
  for (const issue of catalog.issues) issues.push({ path: issue.path, message: issue.message });
  const priceOf = (target: Target) => catalog.lookup(target.provider.settings.type, target.provider.name, target.model);
  return {
    pricing,
    cost: (target, usage, options) => {
      const cost = costOf(usage, priceOf(target), options);
      return { usd: cost.usd, known: cost.known, femtoUsd: cost.femtoUsd, exact: formatUsd(cost.femtoUsd) };
    },
    total: (costs) => {
      let femtoUsd = 0n;
      let known = true;
      for (const cost of costs) {
        if (!cost.known || cost.femtoUsd === undefined) known = false;
        else femtoUsd += cost.femtoUsd;
      }
      return { usd: usdNumber(femtoUsd), known, femtoUsd, exact: formatUsd(femtoUsd) };
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
