/** The local tokenizers the gateway can estimate with. */
export type TokenizerName = 'o200k_base' | 'cl100k_base' | 'claude';

const CL100K = /^(gpt-4(?!o|\.\d)|gpt-3\.5|text-embedding-(ada|3))/;

/**
 * The tokenizer of a model's family, from its upstream name: Claude models use Anthropic's
 * published tokenizer, OpenAI's older models cl100k_base, and everything else o200k_base — the
 * encoding of OpenAI's current models, and the closest public one for families (Gemini, Llama,
 * Mistral) whose tokenizers are not published for JavaScript. The answer is marked as an estimate.
 */
export function tokenizerFor(model: string): TokenizerName {
  const name = model.slice(model.lastIndexOf('/') + 1).toLowerCase();
  if (name.includes('claude')) return 'claude';
  if (CL100K.test(name)) return 'cl100k_base';
  return 'o200k_base';
}
