/**
 * Time windows in questions and in SQL: reading "últimos 7 días" / "this month" out of a
 * normalised question, the SQL conditions that keep a timestamp inside a window (evaluated in
 * the configured time zone, in SQL, so DST and week starts follow PostgreSQL's calendar rules),
 * and the window's words in an answer.
 */
import { MAX_WINDOW_DAYS, type Language, type TimeWindow } from './schema.js';

/** Whole-word(s) regex over normalised text; word boundaries are Unicode-aware. */
export function phrase(alternatives: string): RegExp {
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${alternatives})(?![\\p{L}\\p{N}])`, 'gu');
}

/** Replaces an extracted phrase; not a word, so later phrases cannot match across the gap. */
const GAP = ' _ ';

const NUMBER_WORDS: Readonly<Record<string, number>> = {
  uno: 1, dos: 2, tres: 3, cuatro: 4, cinco: 5, seis: 6, siete: 7, ocho: 8, nueve: 9, diez: 10,
  quince: 15, veinte: 20, treinta: 30,
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  fifteen: 15, twenty: 20, thirty: 30,
};
const NUMBER_PATTERN = `\\d+|${Object.keys(NUMBER_WORDS).join('|')}`;

/** A digit string or a number word ("siete", "ten"). */
export function parseNumber(token: string): number | undefined {
  if (/^\d+$/.test(token)) return Number(token);
  return NUMBER_WORDS[token];
}

type WindowRule = { re: RegExp; window: (count: string | undefined) => TimeWindow | null };

function lastDays(days: number | undefined): TimeWindow | null {
  if (days === undefined || !Number.isInteger(days) || days < 1 || days > MAX_WINDOW_DAYS) return null;
  return { kind: 'last_days', days };
}

const fixed =
  (window: TimeWindow) =>
  (): TimeWindow =>
    window;

/**
 * Windows we can represent. Anything else ("semana pasada", "last week", "enero", "2024",
 * "desde") is left as unknown words and therefore yields null.
 */
const WINDOW_RULES: readonly WindowRule[] = [
  {
    re: phrase(`(?:ultimos?|last|past|previous) (${NUMBER_PATTERN}) (?:dias?|days?)`),
    window: (n) => lastDays(n === undefined ? undefined : parseNumber(n)),
  },
  { re: phrase('ultima semana|past week'), window: () => lastDays(7) },
  { re: phrase('ultimo mes|past month'), window: () => lastDays(30) },
  { re: phrase('en lo que va de (?:la|esta) semana|so far this week|semana actual|current week|esta semana|this week'), window: fixed({ kind: 'this_week' }) },
  { re: phrase('en lo que va (?:del|de este) mes|so far this month|mes actual|current month|este mes|this month'), window: fixed({ kind: 'this_month' }) },
  { re: phrase('(?:el )?dia de hoy|so far today|hoy|today'), window: fixed({ kind: 'today' }) },
  { re: phrase('ayer|yesterday'), window: fixed({ kind: 'yesterday' }) },
];

/**
 * Takes the time-window phrases out of normalised text, leaving a non-word gap in their place. `invalid` is set
 * for a representable phrase with an unrepresentable value ("últimos 5000 días").
 */
export function extractWindows(normalized: string): { text: string; windows: TimeWindow[]; invalid: boolean } {
  let text = normalized;
  const windows: TimeWindow[] = [];
  let invalid = false;
  for (const rule of WINDOW_RULES) {
    text = text.replace(rule.re, (_match: string, count: unknown) => {
      const window = rule.window(typeof count === 'string' ? count : undefined);
      if (window) windows.push(window);
      else invalid = true;
      return GAP;
    });
  }
  return { text, windows, invalid };
}

/**
 * How a time column stores instants: `timestamptz` (an instant), `timestamp` (a local wall-clock
 * time in the project's zone, e.g. Django with USE_TZ=False) or `date` (a local calendar day).
 */
export type TimeColumnType = 'timestamptz' | 'timestamp' | 'date';

/**
 * The conditions that keep `column` (trusted SQL, of type `columnType`) inside `window`, binding
 * now, the zone and the day count through `bind` (which returns a placeholder). The bounds are
 * instants converted to the column's own type (local time, or the local date), not the column to
 * an instant: the column stays bare, so its index serves the range.
 */
export function windowConditions(
  bind: (value: unknown) => string,
  column: string,
  window: TimeWindow,
  at: Date,
  timeZone: string,
  columnType: TimeColumnType = 'timestamptz',
): string[] {
  const now = bind(at.toISOString());
  let zone: string | undefined; // bound only when used: PostgreSQL rejects parameters it cannot type
  const local = () => (zone ??= bind(timeZone));
  const asColumn = (instant: string) =>
    columnType === 'timestamptz' ? instant : columnType === 'timestamp' ? `(${instant} AT TIME ZONE ${local()})` : `(${instant} AT TIME ZONE ${local()})::date`;
  // `shift` applies to the local wall-clock time, before converting back: a day is then a
  // calendar day, also across a daylight-saving change (timestamptz arithmetic follows the
  // session's zone instead).
  const startOf = (unit: 'day' | 'week' | 'month' | 'quarter' | 'year', shift = '') =>
    asColumn(`((date_trunc('${unit}', ${now}::timestamptz AT TIME ZONE ${local()})${shift}) AT TIME ZONE ${local()})`);
  const untilNow = `${column} <= ${asColumn(`${now}::timestamptz`)}`;
  switch (window.kind) {
    case 'today':
      return [`${column} >= ${startOf('day')}`, untilNow];
    case 'yesterday':
      return [`${column} >= ${startOf('day', " - interval '1 day'")}`, `${column} < ${startOf('day')}`];
    case 'this_week':
      return [`${column} >= ${startOf('week')}`, untilNow];
    case 'this_month':
      return [`${column} >= ${startOf('month')}`, untilNow];
    case 'this_quarter':
      return [`${column} >= ${startOf('quarter')}`, untilNow];
    case 'this_year':
      return [`${column} >= ${startOf('year')}`, untilNow];
    case 'last_days':
      return [`${column} >= ${asColumn(`(${now}::timestamptz - make_interval(days => ${bind(window.days)}::int))`)}`, untilNow];
  }
}

/** " este mes" / " this month" (with its leading space), or nothing without a window. */
export function windowPhrase(window: TimeWindow | undefined, lang: Language): string {
  if (!window) return '';
  const es = lang === 'es';
  switch (window.kind) {
    case 'today':
      return es ? ' hoy' : ' today';
    case 'yesterday':
      return es ? ' ayer' : ' yesterday';
    case 'this_week':
      return es ? ' esta semana' : ' this week';
    case 'this_month':
      return es ? ' este mes' : ' this month';
    case 'this_quarter':
      return es ? ' este trimestre' : ' this quarter';
    case 'this_year':
      return es ? ' este año' : ' this year';
    case 'last_days':
      if (window.days === 1) return es ? ' en el último día' : ' in the last day';
      return es ? ` en los últimos ${window.days} días` : ` in the last ${window.days} days`;
  }
}

