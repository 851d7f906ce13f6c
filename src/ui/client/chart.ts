/**
 * Charts as inline SVG built with DOM calls (no framework, no external file, nothing the CSP
 * forbids: presentation comes from the page's stylesheet through classes). Each chart is an
 * image with a text title; the table with the same numbers stays next to it.
 * Every bar and point carries its label and value (`data-label`, `data-value`) and a `<title>`.
 */

const SVG = 'http://www.w3.org/2000/svg';

export type Point = { label: string; value: number };

function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number> = {}, text?: string): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text != null) element.textContent = text;
  return element;
}

function chartRoot(width: number, height: number, title: string, className: string): SVGSVGElement {
  const svg = svgEl('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'chart ' + className, 'aria-label': title });
  svg.append(svgEl('title', {}, title));
  return svg;
}

const clip = (text: string, max: number) => (text.length > max ? text.slice(0, max - 1) + '…' : text);

/** A round upper bound for an axis: 1, 2, 2.5 or 5 × 10^n at or above `max`. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

/** Horizontal bars, one per row, longest = largest value (bars start at zero). `width`: the space it has, in CSS pixels. */
export function barChart(points: Point[], title: string, format: (value: number) => string, width: number): SVGSVGElement {
  const WIDTH = width;
  const row = 26;
  const top = 6;
  const labelWidth = Math.round(Math.min(190, WIDTH * 0.36));
  const valueWidth = 80;
  const barSpace = WIDTH - labelWidth - valueWidth - 12;
  const height = top * 2 + points.length * row;
  const max = Math.max(0, ...points.map((p) => p.value));
  const svg = chartRoot(WIDTH, height, title, 'bars');
  points.forEach((point, index) => {
    const y = top + index * row;
    const length = max > 0 ? Math.max(0, (point.value / max) * barSpace) : 0;
    const group = svgEl('g');
    group.append(
      svgEl('title', {}, point.label + ': ' + format(point.value)),
      svgEl('text', { x: labelWidth - 8, y: y + row / 2, class: 'label', 'text-anchor': 'end', 'dominant-baseline': 'middle' }, clip(point.label, Math.floor(labelWidth / 7.5))),
      svgEl('rect', { x: labelWidth, y: y + 3, width: length.toFixed(2), height: row - 6, rx: 3, class: 'bar', 'data-label': point.label, 'data-value': point.value }),
      svgEl('text', { x: labelWidth + length + 6, y: y + row / 2, class: 'value', 'dominant-baseline': 'middle' }, format(point.value)),
    );
    svg.append(group);
  });
  return svg;
}

/** A line over equally spaced buckets (a series has one row per bucket), y from zero. `width`: the space it has, in CSS pixels. */
export function lineChart(points: Point[], title: string, format: (value: number) => string, width: number): SVGSVGElement {
  const WIDTH = width;
  const height = 240;
  const left = 64;
  const right = 16;
  const top = 12;
  const bottom = 36;
  const plotWidth = WIDTH - left - right;
  const plotHeight = height - top - bottom;
  const max = niceMax(Math.max(0, ...points.map((p) => p.value)));
  const x = (index: number) => left + (points.length > 1 ? (index / (points.length - 1)) * plotWidth : plotWidth / 2);
  const y = (value: number) => top + plotHeight - (Math.max(0, value) / max) * plotHeight;
  const svg = chartRoot(WIDTH, height, title, 'line');
  // horizontal grid at 0, ½ and the top, labelled
  for (const fraction of [0, 0.5, 1]) {
    const value = max * fraction;
    svg.append(
      svgEl('line', { x1: left, x2: WIDTH - right, y1: y(value), y2: y(value), class: 'grid' }),
      svgEl('text', { x: left - 6, y: y(value), class: 'axis', 'text-anchor': 'end', 'dominant-baseline': 'middle' }, format(value)),
    );
  }
  // bucket labels: first, middle and last
  const ticks = [...new Set([0, Math.floor((points.length - 1) / 2), points.length - 1])].filter((i) => i >= 0);
  for (const index of ticks) {
    const anchor = points.length === 1 ? 'middle' : index === 0 ? 'start' : index === points.length - 1 ? 'end' : 'middle';
    svg.append(svgEl('text', { x: x(index), y: height - 12, class: 'axis', 'text-anchor': anchor }, points[index]!.label));
  }
  svg.append(svgEl('polyline', { points: points.map((p, i) => `${x(i).toFixed(2)},${y(p.value).toFixed(2)}`).join(' '), class: 'path' }));
  points.forEach((point, index) => {
    const dot = svgEl('circle', { cx: x(index).toFixed(2), cy: y(point.value).toFixed(2), r: points.length > 60 ? 2 : 3.5, class: 'point', 'data-label': point.label, 'data-value': point.value });
    dot.append(svgEl('title', {}, point.label + ': ' + format(point.value)));
    svg.append(dot);
  });
  return svg;
}
