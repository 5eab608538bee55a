import { GatewayError } from '../../spec/index.js';
import type { ChainHead } from './verify-chain.js';

/** `<seq>:<hash>` as printed by `tollgate audit verify` and `/admin/audit/verify`. Throws `invalid_request`. */
export function parseChainHead(text: string, param: string): ChainHead {
  const match = /^(\d{1,15}):([0-9a-f]{64})$/.exec(text.trim());
  if (match === null || Number(match[1]) < 1) throw new GatewayError('invalid_request', `\`${param}\` must be <seq>:<64 hex digits>, as printed by \`tollgate audit verify\`; got \`${text}\`.`, { param });
  return { seq: Number(match[1]), hash: match[2]! };
}
