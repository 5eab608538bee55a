export const OVERFLOW_LABEL = 'other';

/**
 * Caps the distinct values one label may take, so a flood of keys or made-up model names cannot
 * blow up the metric series: the first `limit` values are kept, later ones become `other`.
 */
export class LabelGuard {
  private readonly seen = new Set<string>();

  constructor(private readonly limit: number) {}

  value(raw: string | null | undefined): string {
    if (raw === null || raw === undefined || raw === '') return '';
    return this.admit(raw) ?? OVERFLOW_LABEL;
  }

  /**
   * The value itself while it fits under the cap, otherwise undefined: for gauges, where folding
   * several entities into one `other` series would report a meaningless value, so they are left out.
   */
  admit(raw: string): string | undefined {
    if (this.seen.has(raw)) return raw;
    if (this.seen.size >= this.limit) return undefined;
    this.seen.add(raw);
    return raw;
  }
}
