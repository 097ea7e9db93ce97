/** A time-series chart (uPlot): the series drawn in the theme's colours, resized with its container. */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface Series {
  label: string;
  values: (number | null)[];
  colour: string;
  dashed?: boolean;
  points?: boolean;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

export function TimeChart(props: { times: number[]; series: Series[]; height?: number; yLabel?: string; label: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const axis = { stroke: cssVar("--text-muted"), grid: { stroke: cssVar("--border"), width: 1 }, ticks: { stroke: cssVar("--border") } };
    const options: uPlot.Options = {
      width: element.clientWidth || 600,
      height: props.height ?? 220,
      legend: { show: true },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: true } },
      axes: [axis, { ...axis, size: 64, ...(props.yLabel ? { label: props.yLabel } : {}) }],
      series: [
        {},
        ...props.series.map((s) => ({
          label: s.label,
          stroke: cssVar(s.colour),
          width: 2,
          ...(s.dashed ? { dash: [6, 4] } : {}),
          ...(s.points ? { paths: () => null, points: { show: true, size: 7, fill: cssVar(s.colour) } } : { points: { show: false } }),
        })),
      ],
    };
    const plot = new uPlot(options, [props.times, ...props.series.map((s) => s.values)] as uPlot.AlignedData, element);
    const observer = new ResizeObserver(() => plot.setSize({ width: element.clientWidth, height: props.height ?? 220 }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [props.times, props.series, props.height, props.yLabel]);
  return <div ref={host} class="chart" role="img" aria-label={props.label} />;
}

/** A horizontal bar list: one bar per item, length in proportion to the largest. */
export function Bars(props: { items: { label: string; value: number; href?: string; tone?: string }[]; unit?: string }) {
  const max = Math.max(1, ...props.items.map((i) => i.value));
  return (
    <ul class="bars">
      {props.items.map((item) => (
        <li key={item.label}>
          <span class="bar-label">{item.href ? <a href={item.href}>{item.label}</a> : item.label}</span>
          <span class="bar-track" aria-hidden="true">
            <span class={`bar-fill ${item.tone ?? ""}`} style={{ width: `${(item.value / max) * 100}%` }} />
          </span>
          <span class="bar-value">
            {item.value.toLocaleString("en")}
            {props.unit ? ` ${props.unit}` : ""}
          </span>
        </li>
      ))}
    </ul>
  );
}
