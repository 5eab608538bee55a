/**
 * The governance config schemas. They are defined in src/config/governance-schema.ts because the
 * config folder may import nothing else of ours; this is where governance code takes them from.
 */
export {
  budgetSchema,
  checkGovernanceReferences,
  customerSchema,
  governancePeriodSchema,
  governanceSettingsSchema,
  keyProviderSchema,
  rateLimitsSchema,
  spendStoreSchema,
  teamSchema,
  virtualKeySchema,
  type BudgetConfig,
  type CustomerConfig,
  type GovernanceSettings,
  type KeyProviderConfig,
  type RateLimitsConfig,
  type SpendStoreConfig,
  type TeamConfig,
  type VirtualKeyConfig,
} from '../config/governance-schema.js';
