import type { BudgetConfig, CustomerConfig, KeyProviderConfig, RateLimitsConfig, TeamConfig, VirtualKeyConfig } from '../config/governance-schema.js';

/** Where an entity was defined: seeded from the config file, or created through the admin API. */
export type EntitySource = 'config' | 'api';

interface Stamped {
  /** ISO time of creation; anchors rolling budget windows. */
  created_at: string;
  source: EntitySource;
  /**
   * How many times the entity was written (1 when created): storage's count, set when the record
   * is loaded, never stored in the document. Admin writes may name it (`If-Match`) to be refused
   * when someone else changed the entity since.
   */
  version?: number | undefined;
}

export type CustomerRecord = CustomerConfig & Stamped;
export type TeamRecord = TeamConfig & Stamped;

/** A virtual key as stored: the config shape without its secret, plus the secret's hash. */
export type KeyRecord = Omit<VirtualKeyConfig, 'value' | 'providers'> &
  Stamped & {
    providers?: KeyProviderConfig[] | undefined;
    /** SHA-256 (hex) of the secret. */
    key_hash: string;
    /** After a rotation, the old secret's hash stays valid until `previous_valid_until`. */
    previous_key_hash?: string | undefined;
    previous_valid_until?: string | undefined;
  };

/** Admin-set budgets and limits of a provider (`id` is the provider name), replacing the config's. */
export interface ProviderLimitsRecord extends Stamped {
  id: string;
  budgets: BudgetConfig[];
  rate_limits?: RateLimitsConfig | undefined;
}

export type EntityKind = 'customer' | 'team' | 'virtual_key' | 'provider_limits';
export type EntityRecord = CustomerRecord | TeamRecord | KeyRecord | ProviderLimitsRecord;
