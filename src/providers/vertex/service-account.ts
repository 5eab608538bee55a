import { readFile } from 'node:fs/promises';
import { GatewayError } from '../../spec/index.js';
import type { ProviderKey } from '../provider.js';

/** The fields of a Google service-account key file (`"type": "service_account"`) Tollgate uses. */
export interface ServiceAccount {
  clientEmail: string;
  privateKey: string;
  privateKeyId: string | undefined;
  projectId: string | undefined;
  /** Where the signed JWT is exchanged for an access token (`token_uri`); Google's own when absent. */
  tokenUri: string | undefined;
}

/** True when a key's value is the key file's JSON itself rather than a path to it. */
export function isInlineKey(value: string): boolean {
  return value.trimStart().startsWith('{');
}

/**
 * Reads service-account JSON. Messages name the missing field, never a value: the text holds a
 * private key.
 */
export function parseServiceAccount(text: string, providerName: string): ServiceAccount {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw keyError(providerName, 'is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw keyError(providerName, 'is not a JSON object');
  const json = parsed as Record<string, unknown>;
  if (typeof json.client_email !== 'string' || json.client_email === '') throw keyError(providerName, 'has no `client_email`');
  if (typeof json.private_key !== 'string' || !json.private_key.includes('PRIVATE KEY')) throw keyError(providerName, 'has no PEM `private_key`');
  return {
    clientEmail: json.client_email,
    privateKey: json.private_key,
    privateKeyId: typeof json.private_key_id === 'string' ? json.private_key_id : undefined,
    projectId: typeof json.project_id === 'string' && json.project_id !== '' ? json.project_id : undefined,
    tokenUri: typeof json.token_uri === 'string' && json.token_uri !== '' ? json.token_uri : undefined,
  };
}

function keyError(providerName: string, problem: string): GatewayError {
  return new GatewayError('upstream_auth_failed', `The service-account key of provider \`${providerName}\` ${problem}.`, { retryable: false });
}

/** Parsed accounts per configured key: inline JSON is parsed on first use, a key file read once (asynchronously). */
const accounts = new WeakMap<ProviderKey, ServiceAccount>();
const loading = new WeakMap<ProviderKey, Promise<ServiceAccount>>();

/** The key's account if it is already known (inline keys always are after the first call). */
export function knownAccount(key: ProviderKey, providerName: string): ServiceAccount | undefined {
  let account = accounts.get(key);
  if (account === undefined && isInlineKey(key.value)) {
    account = parseServiceAccount(key.value, providerName);
    accounts.set(key, account);
  }
  return account;
}

/** The key's account, reading its key file the first time. */
export function loadAccount(key: ProviderKey, providerName: string): Promise<ServiceAccount> {
  const known = knownAccount(key, providerName);
  if (known !== undefined) return Promise.resolve(known);
  let pending = loading.get(key);
  if (pending === undefined) {
    pending = readFile(key.value.trim(), 'utf8').then(
      (text) => {
        const account = parseServiceAccount(text, providerName);
        accounts.set(key, account);
        return account;
      },
      (error: NodeJS.ErrnoException) => {
        loading.delete(key);
        throw keyError(providerName, `file cannot be read (${error.code ?? 'error'})`);
      },
    );
    loading.set(key, pending);
  }
  return pending;
}
