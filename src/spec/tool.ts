import type { ProviderOptions } from './content.js';

/** A function the model may call. `parameters` is a JSON Schema object. */
export interface Tool {
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
  strict?: boolean;
  /**
   * Provider-specific settings for this tool definition; see ProviderOptions.
   * @example { anthropic: { cacheControl: { type: 'ephemeral' } } }
   */
  providerOptions?: ProviderOptions;
}

export type ToolChoice =
  | { type: 'auto' }
  | { type: 'none' }
  | { type: 'required' }
  | { type: 'tool'; name: string };
