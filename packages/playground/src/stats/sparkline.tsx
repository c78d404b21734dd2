// A small line chart of a series (an SVG polyline scaled to its own maximum).
export function Sparkline(props: { values: readonly number[]; width?: number; height?: number; label: string }) {
  const width = props.width ?? 240;
  const height = props.height ?? 48;
  const top = Math.max(1, ...props.values);
  const step = props.values.length > 1 ? width / (props.values.length - 1) : width;
  const points = props.values
    .map((value, index) => `${(index * step).toFixed(1)},${(height - (value / top) * (height - 2) - 1).toFixed(1)}`)
    .join(" ");
  return (
    <svg
      class="sparkline"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={props.label}
    >
      <polyline points={points} fill="none" stroke="currentColor" stroke-width="1.5" />
    </svg>
  );
}
