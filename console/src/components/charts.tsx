/** Small charts in plain SVG (no charting library): bars over time, lines over time, a ranked breakdown. */

export interface Point {
  label: string;
  value: number;
}

const WIDTH = 600;
const HEIGHT = 140;

/** One bar per point (time buckets, oldest first), its value in a tooltip. */
export function Bars({ points, label, format }: { points: Point[]; label: string; format: (value: number) => string }) {
  if (points.length === 0) return <p class="muted">Nothing in this range.</p>;
  const max = Math.max(...points.map((point) => point.value), Number.MIN_VALUE);
  const step = WIDTH / points.length;
  return (
    <figure class="chart-box">
      <svg class="chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${label}: ${points.length} buckets, at most ${format(max)}`}>
        {points.map((point, index) => {
          const height = max <= 0 ? 0 : ((HEIGHT - 10) * point.value) / max;
          return (
            <rect x={index * step + Math.max((step - 40) / 2, 0.5)} y={HEIGHT - height} width={Math.min(Math.max(step - 2, 1), 40)} height={height}>
              <title>{`${point.label}: ${format(point.value)}`}</title>
            </rect>
          );
        })}
      </svg>
      <figcaption class="muted">
        {label} · max {format(max)}
      </figcaption>
    </figure>
  );
}

export interface Series {
  name: string;
  values: (number | undefined)[];
}

/** Lines over shared time buckets (a gap where a value is undefined), with a legend. */
export function Lines({ series, labels, label, format }: { series: Series[]; labels: string[]; label: string; format: (value: number) => string }) {
  const all = series.flatMap((line) => line.values.filter((value): value is number => value !== undefined));
  if (labels.length === 0 || all.length === 0) return <p class="muted">Nothing in this range.</p>;
  const max = Math.max(...all, Number.MIN_VALUE);
  const x = (index: number) => (labels.length === 1 ? WIDTH / 2 : (index * WIDTH) / (labels.length - 1));
  const y = (value: number) => HEIGHT - 5 - ((HEIGHT - 10) * value) / max;
  return (
    <figure class="chart-box">
      <svg class="chart lines" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${label}, at most ${format(max)}`}>
        {series.map((line, which) => {
          const segments: string[] = [];
          let current = '';
          line.values.forEach((value, index) => {
            if (value === undefined) {
              if (current !== '') segments.push(current);
              current = '';
              return;
            }
            current += `${current === '' ? 'M' : 'L'}${x(index).toFixed(1)},${y(value).toFixed(1)} `;
          });
          if (current !== '') segments.push(current);
          return (
            <g class={`series-${which}`}>
              {segments.map((path) => (
                <path d={path} />
              ))}
              {line.values.map((value, index) =>
                value === undefined ? null : (
                  <circle cx={x(index)} cy={y(value)} r="2.5">
                    <title>{`${line.name} ${labels[index]}: ${format(value)}`}</title>
                  </circle>
                ),
              )}
            </g>
          );
        })}
      </svg>
      <figcaption class="muted">
        {label} · max {format(max)} ·{' '}
        {series.map((line, which) => (
          <span class={`legend series-${which}`}>{line.name} </span>
        ))}
      </figcaption>
    </figure>
  );
}

/** A ranked list with a bar for each row's share of the largest. */
export function Breakdown({ rows, format, testid, empty = 'Nothing in this range.' }: { rows: Point[]; format: (value: number) => string; testid?: string; empty?: string }) {
  if (rows.length === 0) return <p class="muted">{empty}</p>;
  const max = Math.max(...rows.map((row) => row.value), Number.MIN_VALUE);
  return (
    <table class="breakdown" data-testid={testid}>
      <tbody>
        {rows.map((row) => (
          <tr data-label={row.label} data-value={String(row.value)}>
            <th scope="row">{row.label}</th>
            <td class="bar-cell">
              <svg viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true" class="share">
                <rect width={max <= 0 ? 0 : (100 * row.value) / max} height="8" />
              </svg>
            </td>
            <td class="num">{format(row.value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A used-fraction meter (0–1) that turns amber past 80 % and red at 100 %. */
export function Meter({ fraction, label }: { fraction: number; label: string }) {
  const clamped = Math.min(1, Math.max(0, fraction));
  return (
    <svg class={`meter ${clamped >= 1 ? 'full' : clamped >= 0.8 ? 'high' : ''}`} viewBox="0 0 100 8" preserveAspectRatio="none" role="img" aria-label={`${label}: ${(100 * clamped).toFixed(1)} % used`}>
      <rect class="track" width="100" height="8" />
      <rect class="fill" width={100 * clamped} height="8" />
    </svg>
  );
}
