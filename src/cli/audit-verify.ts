import { ConfigError } from '../config/config-error.js';
import { loadConfigFile } from '../config/load.js';
import { openAuditStore } from '../observability/audit/audit-log.js';
import { parseChainHead } from '../observability/audit/chain-head.js';
import { verifyChain } from '../observability/audit/verify-chain.js';
import { openStorage } from '../storage/storage.js';

/**
 * `tollgate audit verify --config <file> [--expect-head <seq>:<hash>]`: recomputes the audit chain in
 * the config's storage. Exit 0 when intact, 1 when an entry is altered or missing (naming the first),
 * 2 on a bad config or a malformed `--expect-head`.
 */
export async function runAuditVerify(file: string, expectHead?: string): Promise<number> {
  let expected;
  try {
    expected = expectHead === undefined ? undefined : parseChainHead(expectHead, '--expect-head');
  } catch (error) {
    process.stderr.write(`tollgate: ${(error as Error).message}\n`);
    return 2;
  }
  let config;
  try {
    config = await loadConfigFile(file);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (config.storage.type === 'memory') {
    process.stderr.write('tollgate: storage.type is memory, so there is no stored audit log to verify.\n');
    return 2;
  }
  const storage = await openStorage(config.storage);
  try {
    const store = await openAuditStore(storage);
    const verdict = await verifyChain(store.pages(), expected);
    if (verdict.ok) {
      const head = verdict.head === null ? '' : ` (head ${verdict.head.seq}:${verdict.head.hash}; keep it and pass it as --expect-head later to detect removed entries)`;
      process.stdout.write(`audit log intact: ${verdict.entries} entries verified${head}\n`);
      return 0;
    }
    process.stderr.write(`audit log TAMPERED: first bad entry seq ${verdict.firstBadSeq}: ${verdict.reason} (${verdict.entries} entries before it verified)\n`);
    return 1;
  } finally {
    await storage.close();
  }
}
