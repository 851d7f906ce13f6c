import type { Citation } from './api.js';
import { barChart, lineChart, type Point } from './chart.js';
import { toCsv } from './csv.js';
import { formatDateText, formatNumber, isDateText, t } from './i18n.js';

/** Longer cited passages are cut here: the citation names its document. */
const CITATION_CHARS = 200;

/**
 * What the page knows about a project's names: display labels of its columns (`status`), of
 * stored values (`status=pending`) and the format of measures (`currency`), in the page's
 * language. Empty for a project that does not provide them: keys are then shown tidied up.
 */
export type ProjectView = { slug: string; labels: Record<string, string>; formats: Record<string, string> };

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string | null, text?: string | null): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text != null) element.textContent = text;
  return element;
}

/** Appends a turn to the log and scrolls to it; its text goes in the `.text` child. */
export function addMessage(log: HTMLElement, who: 'user' | 'bot', text: string): HTMLDivElement {
  const message = el('div', 'msg ' + who);
  message.append(el('b', null, who === 'user' ? t('you') : t('assistant')), el('div', 'text', text));
  log.append(message);
  log.scrollTop = log.scrollHeight;
  return message;
}

// Every message comes from addMessage, which gives it its `.text` child.
export const textOf = (message: HTMLElement) => message.querySelector('.text') as HTMLElement;

/** A failed turn: the message in the page's language, and optionally what to do next (a text, or elements such as suggestion chips). */
export function showFailure(message: HTMLElement, text: string, hint?: (string | HTMLElement)[] | null): void {
  message.classList.add('err');
  textOf(message).textContent = text;
  if (hint?.length) {
    const next = el('div', 'hint');
    next.append(...hint);
    message.append(next);
  }
}

/** Clickable suggested questions. */
export function chips(suggestions: string[], label: string, choose: (text: string) => void): HTMLUListElement {
  const list = el('ul', 'chips');
  list.setAttribute('aria-label', label);
  for (const text of suggestions) {
    const item = el('li');
    const chip = el('button', 'chip', text);
    chip.type = 'button';
    chip.onclick = () => choose(text);
    item.append(chip);
    list.append(item);
  }
  return list;
}

const AGGREGATE_KEYS: Record<string, 'count' | 'total' | 'value'> = { count: 'count', total: 'total', value: 'value' };

/** A column's display label: the project's, else a built-in one, else the key tidied ("cliente.nombre" → "Cliente · nombre"). */
export function columnLabel(key: string, view: ProjectView): string {
  const own = view.labels[key];
  if (own) return own;
  if (AGGREGATE_KEYS[key]) return t(AGGREGATE_KEYS[key]);
  const tidy = key.replace(/_/g, ' ').replace(/\./g, ' · ');
  return tidy.charAt(0).toUpperCase() + tidy.slice(1);
}

const valueLabel = (key: string, value: string, view: ProjectView) => view.labels[key + '=' + value] ?? value;
const isCurrency = (key: string, view: ProjectView) => view.formats[key] === 'currency' || key === 'total';

function formatCell(key: string, value: unknown, view: ProjectView, months?: boolean): string {
  if (value == null) return '';
  if (typeof value === 'number') return formatNumber(value, isCurrency(key, view));
  if (isDateText(value)) return formatDateText(value, months);
  if (typeof value === 'string') return valueLabel(key, value, view);
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

type Rows = Record<string, unknown>[];

const CHARTS: Record<string, 'bars' | 'line'> = { breakdown: 'bars', top: 'bars', series: 'line', orders_by_status: 'bars', top_customers: 'bars' };

const isNumberColumn = (rows: Rows, key: string) => rows.every((row) => typeof row[key] === 'number' || row[key] == null);

/**
 * The columns to show, in the answer's order, without `count` when it repeats the measure (a
 * count by group). For a breakdown, top N or series: the group (or time) first, then the measure,
 * whatever the order of the keys (a stored turn comes back from jsonb with its keys reordered).
 */
function columnsOf(rows: Rows, consulta: string | undefined): string[] {
  let keys = rows[0] ? Object.keys(rows[0]) : [];
  const duplicate = keys.find((key) => key !== 'count' && rows.every((row) => typeof row[key] === 'number' && row[key] === row.count));
  if (duplicate) keys = keys.filter((key) => key !== 'count');
  if (consulta && CHARTS[consulta]) {
    const group = keys.find((key) => !isNumberColumn(rows, key));
    const measure = keys.find((key) => key !== group && key !== 'count' && isNumberColumn(rows, key)) ?? keys.find((key) => key === 'count');
    if (group && measure) keys = [group, measure, ...keys.filter((key) => key !== group && key !== measure)];
  }
  return keys;
}

/** A chart for a breakdown or top N (bars) and a series (line): the group column, then the measure (see columnsOf). */
function chartFor(consulta: string | undefined, rows: Rows, columns: string[], view: ProjectView, months: boolean, width: number): SVGSVGElement | null {
  const kind = consulta ? CHARTS[consulta] : undefined;
  if (!kind || rows.length === 0 || (kind === 'line' && rows.length < 2)) return null;
  const [labelKey, valueKey] = columns;
  if (!labelKey || !valueKey || isNumberColumn(rows, labelKey) || !isNumberColumn(rows, valueKey)) return null;
  const points: Point[] = rows.map((row) => ({ label: formatCell(labelKey, row[labelKey], view, months) || '—', value: Number(row[valueKey] ?? 0) }));
  const format = (value: number) => formatNumber(value, isCurrency(valueKey, view));
  const measure = columnLabel(valueKey, view);
  const by = columnLabel(labelKey, view);
  return kind === 'bars'
    ? barChart(points, t('chartBars', { measure, group: by }), format, width)
    : lineChart(points, t('chartLine', { measure, time: by }), format, width);
}

function table(rows: Rows, columns: string[], view: ProjectView, months: boolean): HTMLTableElement {
  const element = el('table');
  const head = el('thead');
  const body = el('tbody');
  const header = el('tr');
  for (const column of columns) {
    const th = el('th', null, columnLabel(column, view));
    th.scope = 'col';
    header.append(th);
  }
  head.append(header);
  for (const row of rows) {
    const tr = el('tr');
    for (const column of columns) tr.append(el('td', typeof row[column] === 'number' ? 'num' : null, formatCell(column, row[column], view, months)));
    body.append(tr);
  }
  element.append(head, body);
  return element;
}

function csvButton(rows: Rows, columns: string[], view: ProjectView, consulta: string | undefined): HTMLButtonElement {
  const button = el('button', 'alt csv', t('csv'));
  button.type = 'button';
  button.setAttribute('aria-label', t('csvLabel'));
  button.onclick = () => {
    const text = toCsv(
      columns.map((column) => columnLabel(column, view)),
      rows.map((row) => columns.map((column) => (typeof row[column] === 'string' && !isDateText(row[column]) ? valueLabel(column, row[column] as string, view) : row[column]))),
    );
    const link = el('a');
    link.href = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
    link.download = `${view.slug}-${consulta || 'datos'}-${new Date().toISOString().slice(0, 10)}.csv`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  };
  return button;
}

export type Details = { datos?: Record<string, unknown>; consulta?: string; sql?: string; citas?: Citation[] };

/** An answer's data (rows as a table, with a chart where one helps and a CSV download; other values as a list), its SQL and its citations. */
export function showDetails(message: HTMLElement, { datos, consulta, sql, citas }: Details, view: ProjectView): void {
  if (datos && Array.isArray(datos.rows)) {
    const rows = datos.rows as Rows;
    const columns = columnsOf(rows, consulta);
    const first = columns[0];
    // A monthly series: every bucket is the first of a month.
    const months = consulta === 'series' && rows.length > 1 && !!first && rows.every((row) => /^\d{4}-\d{2}-01$/.test(String(row[first])));
    // Drawn at the size it is shown (one unit, one CSS pixel), so its text stays readable on a phone.
    const width = Math.round(Math.min(640, Math.max(280, (message.clientWidth || 640) - 28)));
    const chart = chartFor(consulta, rows, columns, view, months, width);
    const wrapper = el('div', 'scroll');
    wrapper.append(table(rows, columns, view, months));
    const data = el('div', 'data');
    if (chart) {
      const figure = el('figure', 'chart-box');
      figure.append(chart);
      const details = el('details');
      details.append(el('summary', null, t('showTable')), wrapper);
      data.append(figure, details);
    } else data.append(wrapper);
    if (datos.truncated) data.append(el('p', 'hint', t('truncated')));
    if (rows.length > 0) data.append(csvButton(rows, columns, view, consulta));
    message.append(data);
  } else if (datos) {
    const list = el('dl');
    for (const [key, value] of Object.entries(datos)) {
      if (typeof value === 'object' && value !== null) continue;
      const pair = el('div');
      pair.append(el('dt', null, columnLabel(key, view)), el('dd', null, formatCell(key, value, view)));
      list.append(pair);
    }
    message.append(list);
  }
  if (sql) {
    const pre = el('pre');
    pre.append(el('code', null, sql));
    message.append(pre);
  }
  if (citas && citas.length) {
    const list = el('ol', 'cites');
    list.setAttribute('aria-label', t('sources'));
    for (const cita of citas) {
      const item = el('li');
      const passage = cita.fragmento.length > CITATION_CHARS ? cita.fragmento.slice(0, CITATION_CHARS) + '…' : cita.fragmento;
      item.append(el('b', null, cita.titulo + ': '), el('span', null, passage));
      list.append(item);
    }
    message.append(list);
  }
}
