export interface RateLimits {
  requests?: { max: number; period: string };
  tokens?: { max: number; period: string };
}

export function limitsText(limits: RateLimits | undefined | null): string {
  if (limits === undefined || limits === null) return '';
  return (['requests', 'tokens'] as const)
    .flatMap((metric) => (limits[metric] === undefined ? [] : [`${limits[metric]!.max.toLocaleString()} ${metric} / ${limits[metric]!.period}`]))
    .join(', ');
}

/** Inputs for a rate_limits object (requests and tokens per period); read back with `limitsFrom`. */
export function LimitsFields({ limits }: { limits: RateLimits | undefined }) {
  return (
    <>
      {(['requests', 'tokens'] as const).map((metric) => (
        <div class="pair">
          <label>
            Max {metric} <input name={`${metric}_max`} type="number" min="0" step="1" value={limits?.[metric]?.max ?? ''} />
          </label>
          <label>
            per <input name={`${metric}_period`} placeholder="1m, 1h, 1d" pattern="[1-9][0-9]*[mhd]|1[wMY]" value={limits?.[metric]?.period ?? ''} />
          </label>
        </div>
      ))}
    </>
  );
}

export function limitsFrom(field: (name: string) => string): RateLimits | undefined {
  const limits: RateLimits = {};
  for (const metric of ['requests', 'tokens'] as const) {
    const max = field(`${metric}_max`);
    if (max !== '') limits[metric] = { max: Number(max), period: field(`${metric}_period`) || '1m' };
  }
  return Object.keys(limits).length === 0 ? undefined : limits;
}
