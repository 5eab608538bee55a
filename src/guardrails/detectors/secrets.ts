import { characterClasses, shannonEntropy } from './entropy.js';
import { afterWordCharacter, scanPatterns, selectTypes, type DetectorPlugin, type PatternSpec } from './detector.js';
import { findAssignedValues } from './fast-finders.js';

/** Values that look like a placeholder or a reference, not a secret (`${TOKEN}`, `<your-key>`, `xxxx`). */
const PLACEHOLDER = /^(?:\$\{|\$[A-Z_]+$|<.*>|\{\{.*\}\}|%.*%|x+|\*+|\.+|(?:your|my|the|example|changeme|dummy|test|sample|placeholder|redacted)[\w-]*)$/i;

/** A match that starts inside a word (`tasks-…`) is not a key. */
function wordStart(_value: string, text: string, start: number): boolean {
  return !afterWordCharacter(text, start);
}

/** A value in an assignment counts as a secret when it is random-looking: long, mixed, high in entropy. */
function randomLooking(value: string): boolean {
  const clean = value;
  if (clean.length < 12 || PLACEHOLDER.test(clean)) return false;
  // Hex digests, UUIDs and plain words are not what this catches: they have their own shapes or are not secret.
  if (/^[0-9a-f-]+$/i.test(clean) && /^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.test(clean)) return false;
  if (/^[a-z]+(?:[_-][a-z]+)*$/i.test(clean)) return false;
  return characterClasses(clean) >= 2 && shannonEntropy(clean) >= 3.3;
}

/**
 * Credential shapes, after the published formats and the rules of secretlint and gitleaks: the
 * key formats of every provider the gateway ships (OpenAI, Anthropic, Google, Groq, xAI,
 * Perplexity, Fireworks, Cerebras, NVIDIA, Hugging Face, Replicate), cloud and forge tokens, JWTs,
 * private-key blocks, URLs carrying a password, and random-looking values assigned to secret names.
 */
const PATTERNS: readonly PatternSpec[] = [
  { type: 'anthropic_api_key', regex: /\bsk-ant-(?:api|admin|oat)\d{2}-[A-Za-z0-9_-]{20,}/g, anchors: ['sk-ant-'] },
  { type: 'openai_api_key', regex: /sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}/g, accept: wordStart },
  { type: 'google_api_key', regex: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g, anchors: ['AIza'] },
  { type: 'provider_api_key', regex: /(?:gsk_|xai-|pplx-|fw_|csk-|nvapi-|hf_|r8_)[A-Za-z0-9_-]{20,}/g, accept: wordStart },
  { type: 'aws_access_key', regex: /A(?:KIA|SIA|BIA|CCA|GPA|IDA|ROA|NPA|NVA|IPA)[A-Z2-7]{16}\b/g, accept: wordStart },
  {
    type: 'aws_secret_key',
    regex: /aws[\w.-]{0,20}?(?:secret|key)[\w.-]{0,20}["']?\s{0,3}[:=]{1,2}>?\s{0,3}["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/gi,
    valueGroup: true,
  },
  { type: 'github_token', regex: /(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{82})\b/g, accept: wordStart },
  { type: 'gitlab_token', regex: /\bgl(?:pat|ptt|dt|rt|cbt|oas|ft|imt|soat|agent)-[A-Za-z0-9_-]{20,}/g, anchors: ['gl'] },
  { type: 'slack_token', regex: /\bxox[abposre]-[A-Za-z0-9-]{10,}|https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9/_-]{20,}/g, anchors: ['xox', 'hooks.slack.com'] },
  { type: 'stripe_key', regex: /(?:[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9]{24,})/g, accept: wordStart },
  { type: 'jwt', regex: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, anchors: ['eyJ'] },
  {
    type: 'private_key',
    regex: /-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----[\s\S]{1,16384}?-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----/g,
    anchors: ['-----BEGIN '],
  },
  {
    type: 'connection_string',
    regex: /\b[a-z][a-z0-9+.-]{1,20}:\/\/[^\s:@/?#"'<>]{1,128}:([^\s@/?#"'<>]{1,256})@[^\s/?#"'<>]+/gi,
    anchors: ['://'],
    accept: (value) => !PLACEHOLDER.test(/:([^:@]*)@/.exec(value)?.[1] ?? ''),
  },
  { type: 'generic_secret', find: findAssignedValues, accept: randomLooking },
];

export const SECRET_TYPES: readonly string[] = [...new Set(PATTERNS.map((spec) => spec.type))];

export const secretsDetector: DetectorPlugin = {
  name: 'secrets',
  knownTypes: SECRET_TYPES,
  create(rule) {
    const patterns = selectTypes(PATTERNS, SECRET_TYPES, rule.types, 'secrets');
    return {
      types: patterns.map((spec) => spec.type),
      scan: (text) => scanPatterns(patterns, text),
    };
  },
};
