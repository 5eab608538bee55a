import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { ConfigError } from '../config/config-error.js';

/**
 * Reads `server.tls`'s PEM certificate chain and key at start-up and checks that they make a
 * usable pair, so that a wrong path or a key of another certificate fails the start, not the first
 * handshake. Messages name the file, never its content.
 */
export async function readTlsFiles(tls: { cert_file: string; key_file: string }, source: string): Promise<{ cert: Buffer; key: Buffer }> {
  const read = async (path: string, key: 'cert_file' | 'key_file'): Promise<Buffer> => {
    try {
      return await readFile(path);
    } catch (error) {
      throw new ConfigError(source, [{ path: `server.tls.${key}`, message: `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})` }]);
    }
  };
  const [cert, key] = await Promise.all([read(tls.cert_file, 'cert_file'), read(tls.key_file, 'key_file')]);
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'invalid';
    throw new ConfigError(source, [{ path: 'server.tls', message: `${tls.cert_file} and ${tls.key_file} are not a PEM certificate and its private key (${reason})` }]);
  }
  return { cert, key };
}
