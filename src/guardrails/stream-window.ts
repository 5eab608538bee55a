import type { RequestGuard } from './request-guard.js';
import { blockedError } from './block-error.js';
import { scanText } from './text-scan.js';

/** Characters always held back at the end of streamed text: longer than any value with spaces inside (a spaced IBAN, a card, a phone number). */
export const WINDOW = 64;
/** Text is scanned once this much more than the window has gathered, so short deltas cost a string append. */
const BATCH = 48;
/** A run of non-space characters is held back whole (a key, a JWT, a URL with a password) up to this length. */
const MAX_TOKEN = 4096;
/** An open private-key block is held back until its END line, up to this length. */
const MAX_BLOCK = 16_384;

/**
 * One streamed text (a choice's text, or a tool call's arguments) scanned with a carry-over
 * window: text is released only once nothing after it can complete a finding that reaches into
 * it, so a value split across any number of chunks is caught whole and masked before its first
 * byte reaches the caller.
 */
export class StreamWindow {
  private held = '';
  /** Characters taken since the last scan: held text is rescanned only once this much more has come. */
  private fresh = 0;

  constructor(
    private readonly guard: RequestGuard,
    /** `the answer (choice 0)`, for block messages. */
    private readonly where: string,
  ) {}

  /** Takes a delta; returns the text that may go out now (possibly empty). */
  push(delta: string): string {
    this.held += delta;
    this.fresh += delta.length;
    if (this.held.length < WINDOW + BATCH || this.fresh < BATCH) return '';
    this.fresh = 0;
    return this.release(false);
  }

  /** The stream (or this text) ended: everything held, checked. */
  flush(): string {
    return this.held.length === 0 ? '' : this.release(true);
  }

  private release(final: boolean): string {
    const text = this.held;
    const guard = this.guard;
    const hits = guard.output.length === 0 ? [] : scanText(guard.output, text);
    let cut = final ? text.length : this.safeCut(text);
    for (const hit of hits) {
      // A finding that reaches the cut may still grow: hold it whole.
      if (!final && hit.end >= cut && hit.start < cut) cut = hit.start;
      if (hit.end > cut) break;
      if (hit.rule.action === 'block') {
        guard.record(hit, 'output');
        throw blockedError(hit.rule.name, hit.type, `${this.where}, character ${this.released + hit.start}`);
      }
    }
    if (cut <= 0) return '';
    let out = guard.apply(text, hits, 'output', cut);
    if (guard.restores) out = guard.restore(out);
    this.held = text.slice(cut);
    this.released += cut;
    return out;
  }

  /** Characters of the stream already released, for positions in block messages. */
  private released = 0;

  /** Where text may be cut now: before the window, the trailing word, an open key block, a half-written placeholder. */
  private safeCut(text: string): number {
    let cut = text.length - WINDOW;
    let word = text.length;
    while (word > 0 && word > text.length - MAX_TOKEN && !isSpace(text.charCodeAt(word - 1))) word--;
    if (word < cut) cut = word;
    const begin = text.lastIndexOf('-----BEGIN ');
    if (begin !== -1 && begin < cut && text.indexOf('-----END ', begin) === -1 && text.length - begin < MAX_BLOCK) cut = begin;
    const bracket = text.lastIndexOf('[', cut);
    if (bracket !== -1 && cut - bracket < 40 && text.indexOf(']', bracket) >= cut) cut = bracket;
    return cut;
  }
}

function isSpace(code: number): boolean {
  return code === 32 || code === 10 || code === 9 || code === 13;
}
