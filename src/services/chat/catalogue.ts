import type { Database } from '../../adapters/db/database.js';
import type { TimeWindow as ModelTimeWindow } from '../semantic-model/schema.js';
import type { Language, OrderStatus, QueryCall, QueryName, TimeWindow } from './catalogue-types.js';

/** What a catalogue query needs besides its parameters; the project comes from verified input only. */
export type QueryContext = { db: Database; project: string; now: Date; timeZone: string };

export type QueryResult = { datos: Record<string, unknown>; respuesta: string };

/** Collects bound values and hands out their placeholders, so SQL text stays static. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * WHERE conditions shared by the queries: the project (always), a status and a time window.
 * Windows are evaluated in the configured time zone, in SQL, so that DST and week starts
 * follow PostgreSQL's calendar rules.
 */
function conditions(p: Params, ctx: QueryContext, status?: OrderStatus, window?: TimeWindow): string {
  const parts = [`project = ${p.add(ctx.project)}`];
  if (status) parts.push(`status = ${p.add(status)}`);
  if (window) parts.push(...windowConditions((value) => p.add(value), 'created_at', window, ctx.now, ctx.timeZone));
  return parts.join(' AND ');
}

/**
 * The conditions that keep `column` (a timestamptz expression, trusted SQL) inside `window`,
 * binding now, the zone and the day count through `bind` (which returns a placeholder). Shared
 * with the semantic-model compiler, so both answer "este mes" with the same calendar rules.
 */
export function windowConditions(
  bind: (value: unknown) => string,
  column: string,
  window: TimeWindow | ModelTimeWindow,
  at: Date,
  timeZone: string,
): string[] {
  const now = bind(at.toISOString());
  let zone: string | undefined; // bound only when used: PostgreSQL rejects parameters it cannot type
  // `shift` applies to the local wall-clock time, before converting back: a day is then a
  // calendar day, also across a daylight-saving change (timestamptz arithmetic follows the
  // session's zone instead).
  const startOf = (unit: 'day' | 'week' | 'month' | 'quarter' | 'year', shift = '') => {
    zone ??= bind(timeZone);
    return `((date_trunc('${unit}', ${now}::timestamptz AT TIME ZONE ${zone})${shift}) AT TIME ZONE ${zone})`;
  };
  switch (window.kind) {
    case 'today':
      return [`${column} >= ${startOf('day')}`, `${column} <= ${now}::timestamptz`];
    case 'yesterday':
      return [`${column} >= ${startOf('day', " - interval '1 day'")}`, `${column} < ${startOf('day')}`];
    case 'this_week':
      return [`${column} >= ${startOf('week')}`, `${column} <= ${now}::timestamptz`];
    case 'this_month':
      return [`${column} >= ${startOf('month')}`, `${column} <= ${now}::timestamptz`];
    case 'this_quarter':
      return [`${column} >= ${startOf('quarter')}`, `${column} <= ${now}::timestamptz`];
    case 'this_year':
      return [`${column} >= ${startOf('year')}`, `${column} <= ${now}::timestamptz`];
    case 'last_days':
      return [
        `${column} >= ${now}::timestamptz - make_interval(days => ${bind(window.days)}::int)`,
        `${column} <= ${now}::timestamptz`,
      ];
  }
}

const STATUS_WORDS: Record<Language, Record<OrderStatus, [singular: string, plural: string]>> = {
  es: {
    pending: ['pendiente', 'pendientes'],
    shipped: ['enviada', 'enviadas'],
    delivered: ['entregada', 'entregadas'],
    cancelled: ['cancelada', 'canceladas'],
  },
  en: {
    pending: ['pending', 'pending'],
    shipped: ['shipped', 'shipped'],
    delivered: ['delivered', 'delivered'],
    cancelled: ['cancelled', 'cancelled'],
  },
};

/** " este mes" / " this month" (with its leading space), or nothing without a window. */
export function windowPhrase(window: TimeWindow | ModelTimeWindow | undefined, lang: Language): string {
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

/** "12 órdenes pendientes" / "12 pending orders", with singular forms for one. */
function ordersPhrase(count: number, status: OrderStatus | undefined, lang: Language): string {
  const one = count === 1;
  const n = formatInteger(count, lang);
  if (lang === 'es') {
    const noun = one ? 'orden' : 'órdenes';
    return status ? `${n} ${noun} ${STATUS_WORDS.es[status][one ? 0 : 1]}` : `${n} ${noun}`;
  }
  const noun = one ? 'order' : 'orders';
  return status ? `${n} ${STATUS_WORDS.en[status][0]} ${noun}` : `${n} ${noun}`;
}

const LOCALES: Record<Language, string> = { es: 'es-ES', en: 'en-US' };
const moneyFormats = new Map<Language, Intl.NumberFormat>();
const integerFormats = new Map<Language, Intl.NumberFormat>();

export function formatMoney(value: number, lang: Language): string {
  let format = moneyFormats.get(lang);
  if (!format) {
    format = new Intl.NumberFormat(LOCALES[lang], { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    moneyFormats.set(lang, format);
  }
  return format.format(value);
}

export function formatInteger(value: number, lang: Language): string {
  let format = integerFormats.get(lang);
  if (!format) {
    format = new Intl.NumberFormat(LOCALES[lang], { maximumFractionDigits: 0 });
    integerFormats.set(lang, format);
  }
  return format.format(value);
}

export function formatDate(value: Date, timeZone: string): string {
  // en-CA formats as YYYY-MM-DD
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(value);
}

const toNumber = (value: unknown): number => (typeof value === 'number' ? value : Number(value));
const toDate = (value: unknown): Date => (value instanceof Date ? value : new Date(String(value)));

type Runner<N extends QueryName> = (
  params: Extract<QueryCall, { name: N }>['params'],
  ctx: QueryContext,
  lang: Language,
) => Promise<QueryResult>;

const runners: { [N in QueryName]: Runner<N> } = {
  async count_orders({ status, window }, ctx, lang) {
    const p = new Params();
    const [row] = await ctx.db.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM orders WHERE ${conditions(p, ctx, status, window)}`,
      p.values,
    );
    const count = toNumber(row?.count ?? 0);
    const when = windowPhrase(window, lang);
    const what = ordersPhrase(count, status, lang);
    const respuesta =
      lang === 'es' ? `Hay ${what}${when}.` : `There ${count === 1 ? 'is' : 'are'} ${what}${when}.`;
    return { datos: { count }, respuesta };
  },

  async total_amount({ status, window }, ctx, lang) {
    const p = new Params();
    const [row] = await ctx.db.query<{ total: number; count: number }>(
      `SELECT coalesce(sum(amount), 0)::float8 AS total, count(*)::int AS count FROM orders WHERE ${conditions(p, ctx, status, window)}`,
      p.values,
    );
    const total = toNumber(row?.total ?? 0);
    const count = toNumber(row?.count ?? 0);
    const when = windowPhrase(window, lang);
    const what = ordersPhrase(count, status, lang);
    const respuesta =
      lang === 'es'
        ? `El importe total de ${count === 1 ? 'la' : 'las'} ${what}${when} es ${formatMoney(total, lang)}.`
        : `The ${what}${when} ${count === 1 ? 'adds' : 'add'} up to ${formatMoney(total, lang)}.`;
    return { datos: { total, count }, respuesta };
  },

  async orders_by_status({ window }, ctx, lang) {
    const p = new Params();
    const rows = await ctx.db.query<{ status: OrderStatus; count: number; total: number }>(
      `SELECT status, count(*)::int AS count, coalesce(sum(amount), 0)::float8 AS total
       FROM orders WHERE ${conditions(p, ctx, undefined, window)}
       GROUP BY status ORDER BY count DESC, status`,
      p.values,
    );
    const clean = rows.map((r) => ({ status: r.status, count: toNumber(r.count), total: toNumber(r.total) }));
    const list = clean
      .map((r) => `${STATUS_WORDS[lang][r.status][1]} ${formatInteger(r.count, lang)}`)
      .join(', ');
    const when = windowPhrase(window, lang);
    const respuesta =
      clean.length === 0
        ? lang === 'es'
          ? `No hay órdenes${when}.`
          : `There are no orders${when}.`
        : lang === 'es'
          ? `Órdenes por estado${when}: ${list}.`
          : `Orders by status${when}: ${list}.`;
    return { datos: { rows: clean }, respuesta };
  },

  async latest_orders({ limit, status }, ctx, lang) {
    const p = new Params();
    const where = conditions(p, ctx, status);
    const rows = await ctx.db.query<{ id: unknown; customer: string; status: OrderStatus; amount: number; created_at: unknown }>(
      `SELECT id, customer, status, amount::float8 AS amount, created_at
       FROM orders WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT ${p.add(limit)}`,
      p.values,
    );
    const clean = rows.map((r) => ({
      id: toNumber(r.id),
      customer: r.customer,
      status: r.status,
      amount: toNumber(r.amount),
      created_at: toDate(r.created_at).toISOString(),
    }));
    const lines = clean.map(
      (r) =>
        `#${r.id} ${r.customer} — ${STATUS_WORDS[lang][r.status][0]}, ${formatMoney(r.amount, lang)}, ${formatDate(new Date(r.created_at), ctx.timeZone)}`,
    );
    const statusWord = status ? ` ${STATUS_WORDS[lang][status][1]}` : '';
    const one = clean.length === 1;
    const heading =
      lang === 'es'
        ? one
          ? `La última orden${status ? ` ${STATUS_WORDS.es[status][0]}` : ''}:`
          : `Las últimas ${clean.length} órdenes${statusWord}:`
        : one
          ? `The latest${statusWord} order:`
          : `The latest ${clean.length}${statusWord} orders:`;
    const respuesta =
      clean.length === 0
        ? lang === 'es'
          ? `No hay órdenes${statusWord}.`
          : `There are no${statusWord} orders.`
        : [heading, ...lines].join('\n');
    return { datos: { rows: clean }, respuesta };
  },

  async top_customers({ limit, window }, ctx, lang) {
    const p = new Params();
    const where = conditions(p, ctx, undefined, window);
    const rows = await ctx.db.query<{ customer: string; orders: number; total: number }>(
      `SELECT customer, count(*)::int AS orders, sum(amount)::float8 AS total
       FROM orders WHERE ${where} AND status <> 'cancelled'
       GROUP BY customer ORDER BY total DESC, customer LIMIT ${p.add(limit)}`,
      p.values,
    );
    const clean = rows.map((r) => ({ customer: r.customer, orders: toNumber(r.orders), total: toNumber(r.total) }));
    const when = windowPhrase(window, lang);
    const lines = clean.map(
      (r, i) =>
        `${i + 1}. ${r.customer} — ${formatMoney(r.total, lang)} (${formatInteger(r.orders, lang)} ${lang === 'es' ? (r.orders === 1 ? 'orden' : 'órdenes') : r.orders === 1 ? 'order' : 'orders'})`,
    );
    const respuesta =
      clean.length === 0
        ? lang === 'es'
          ? `No hay ventas${when}.`
          : `There are no sales${when}.`
        : [
            clean.length === 1
              ? lang === 'es'
                ? `El mejor cliente por importe${when} (sin canceladas):`
                : `The top customer by amount${when} (cancelled orders excluded):`
              : lang === 'es'
                ? `Los ${clean.length} mejores clientes por importe${when} (sin canceladas):`
                : `The top ${clean.length} customers by amount${when} (cancelled orders excluded):`,
            ...lines,
          ].join('\n');
    return { datos: { rows: clean }, respuesta };
  },
};

/** Runs one catalogue query for the server-chosen project and phrases the result. */
export function runCatalogueQuery(call: QueryCall, ctx: QueryContext, lang: Language): Promise<QueryResult> {
  const runner = runners[call.name] as Runner<typeof call.name>;
  return runner(call.params as never, ctx, lang);
}
