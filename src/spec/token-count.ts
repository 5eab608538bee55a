/** How many tokens a request's input holds, as the provider's counter or a local tokenizer says. */
export interface TokenCount {
  inputTokens: number;
  /**
   * `native` when the provider's own counting endpoint answered; otherwise the name of the local
   * tokenizer that estimated it (`o200k_base`, `claude`, …). Callers see it in `x-tollgate-token-count`.
   */
  counter: string;
}
