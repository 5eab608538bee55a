import { REDACTED } from '../providers/secret-scrubber.js';

const MARK = Buffer.from(REDACTED);

/**
 * A byte stream with every exact secret replaced, also when a secret is split across chunks: the
 * last `longest - 1` bytes of each chunk wait for the next one. Bytes are searched as bytes, so
 * binary bodies (audio, files) pass through unchanged unless they hold a secret.
 */
export async function* redactingStream(body: AsyncIterable<Buffer | string>, secrets: readonly string[]): AsyncIterable<Buffer> {
  const needles = secrets.map((secret) => Buffer.from(secret));
  if (needles.length === 0) {
    for await (const chunk of body) yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    return;
  }
  const keep = Math.max(...needles.map((needle) => needle.length)) - 1;
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of body) {
    pending = redact(pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, Buffer.from(chunk)]), needles);
    if (pending.length > keep) {
      yield pending.subarray(0, pending.length - keep);
      pending = pending.subarray(pending.length - keep);
    }
  }
  if (pending.length > 0) yield pending;
}

/** `bytes` with each needle (longest first) replaced by the redaction mark. */
export function redact(bytes: Buffer, needles: readonly Buffer[]): Buffer {
  let out = bytes;
  for (const needle of needles) {
    let at = out.indexOf(needle);
    if (at < 0) continue;
    const parts: Buffer[] = [];
    let from = 0;
    while (at >= 0) {
      parts.push(out.subarray(from, at), MARK);
      from = at + needle.length;
      at = out.indexOf(needle, from);
    }
    parts.push(out.subarray(from));
    out = Buffer.concat(parts);
  }
  return out;
}
