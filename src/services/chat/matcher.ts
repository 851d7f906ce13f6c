/**
 * Deterministic question matcher: maps a plain Spanish or English question to one catalogue query
 * with typed parameters, or returns null ("not confident, ask the language model").
 *
 * Design: precision over recall. Answering a different question than the one asked is worse than
 * returning null, so the matcher works on a closed vocabulary:
 *   1. time windows are extracted first (they carry numbers, e.g. "últimos 7 días");
 *   2. multi-word phrases are rewritten to canonical single tokens ("how many" -> "count");
 *   3. every remaining token must be known; any unknown word (a project name, SQL, "semana pasada",
 *      "productos", "¿qué es...?") makes the whole question fall back to the model.
 * The result only ever contains a query name, enum values and numbers, never text from the input.
 */
import {
  MAX_DAYS,
  MAX_ROWS,
  QUERY_NAMES,
  type Language,
  type OrderStatus,
  type QueryCall,
  type QueryName,
  type TimeWindow,
} from './catalogue-types.js';
import { detectLanguage, normalize } from './language.js';

export type MatchResult = { call: QueryCall; language: Language };

export interface Matcher {
  match(text: string): MatchResult | null;
}

/** Questions longer than this are never simple catalogue questions; skip the work. */
const MAX_INPUT_CHARS = 300;
const DEFAULT_LIMIT = 5;

type Intent = 'count' | 'amount' | 'byStatus' | 'latest' | 'top';

/** Everything the matcher learned about one question. */
interface Features {
  invalid: boolean;
  intents: Set<Intent>;
  statuses: Set<OrderStatus>;
  windows: TimeWindow[];
  /** Bare numbers left after window extraction (candidate limits). */
  numbers: number[];
  orderSingular: boolean;
  orderPlural: boolean;
  /** "ventas"/"sales": orders when counted, an amount otherwise. */
  salesNoun: boolean;
  /** "vendimos"/"revenue"/"facturado": always an amount. */
  salesVerb: boolean;
  customerSingular: boolean;
  customerPlural: boolean;
  /** "muéstrame", "cuáles son", "what are the": a listing request, never a bare count. */
  listing: boolean;
  /** "estado"/"status" as a noun; only meaningful in a by-status breakdown. */
  statusNoun: boolean;
  /** "resumen", "desglose", "breakdown", ... */
  grouping: boolean;
}

function emptyFeatures(): Features {
  return {
    invalid: false,
    intents: new Set(),
    statuses: new Set(),
    windows: [],
    numbers: [],
    orderSingular: false,
    orderPlural: false,
    salesNoun: false,
    salesVerb: false,
    customerSingular: false,
    customerPlural: false,
    listing: false,
    statusNoun: false,
    grouping: false,
  };
}

// ---------------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------------

const NUMBER_WORDS: Readonly<Record<string, number>> = {
  uno: 1, dos: 2, tres: 3, cuatro: 4, cinco: 5, seis: 6, siete: 7, ocho: 8, nueve: 9, diez: 10,
  quince: 15, veinte: 20, treinta: 30,
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  fifteen: 15, twenty: 20, thirty: 30,
};
const NUMBER_PATTERN = `\\d+|${Object.keys(NUMBER_WORDS).join('|')}`;

/** A digit string or a number word ("siete", "ten"); exported for the semantic matcher. */
export function parseNumber(token: string): number | undefined {
  if (/^\d+$/.test(token)) return Number(token);
  return NUMBER_WORDS[token];
}

// ---------------------------------------------------------------------------------------------
// Phrase rules (run on the normalised text, in order)
// ---------------------------------------------------------------------------------------------

/** Whole-word(s) regex over normalised text; word boundaries are Unicode-aware. */
function phrase(alternatives: string): RegExp {
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${alternatives})(?![\\p{L}\\p{N}])`, 'gu');
}

/** Replaces an extracted phrase; not a word, so later phrases cannot match across the gap. */
const GAP = ' _ ';

type WindowRule = { re: RegExp; window: (count: string | undefined) => TimeWindow | null };

function lastDays(days: number | undefined): TimeWindow | null {
  if (days === undefined || !Number.isInteger(days) || days < 1 || days > MAX_DAYS) return null;
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
 * Multi-word synonyms rewritten to one canonical token handled by the token lexicon below.
 * Order matters: longer phrases first ("número total de" before "total").
 */
const REWRITES: ReadonlyArray<readonly [RegExp, string]> = [
  // "received" by us means new incoming orders, not the 'delivered' status: let the model decide.
  [phrase('(?:we|hemos|have we|did we)(?: \\p{L}+)? (?:received?|recibido|recibidos|recibidas)|recibimos'), ' unknownphrase '],
  // "open the orders" is an imperative, not the 'pending' status.
  [phrase('^open (?:the|all|an?|my|our|this|that|these|those)'), ' unknownphrase '],
  // Count intent ("total" next to number/quantity means a count, not an amount).
  [phrase('numero total de|cantidad total de|total number of|total count of|numero de|cantidad de|number of|how many|count of'), ' count '],
  [phrase('en total|in total|en su totalidad'), ' '],
  [phrase('how much'), ' amount '],
  // Top customers.
  [
    phrase(
      'que mas (?:compran|compraron|gastan|gastaron|han comprado|han gastado|facturan|facturaron|piden|pidieron)|' +
        'mas importantes|most valuable|highest spending|top spending|' +
        '(?:who|that) (?:spend|spent|buy|bought|purchase|purchased|order|ordered) (?:the )?most|' +
        '(?:by|por) (?:revenue|sales|spend|spending|ventas|facturacion|gasto|monto)',
    ),
    ' top ',
  ],
  // Latest orders.
  [phrase('mas recientes?|mas nuev[oa]s?|most recent|more recent'), ' latest '],
  // Breakdown by status.
  [
    phrase(
      '(?:por|by|per|segun|for each|for every|in each|en cada|por cada|de cada|each|cada) ' +
        '(?:su |el |their )?(?:estados?|estatus|status|statuses)',
    ),
    ' bystatus ',
  ],
  // Multi-word statuses.
  [phrase('en espera|por enviar|sin enviar|por despachar|sin despachar|awaiting (?:shipment|dispatch)'), ' pending '],
  [phrase('en camino|en transito|in transit|on the way|on their way'), ' shipped '],
  // Interrogatives that ask for a listing; harmless next to an explicit intent.
  [phrase('what(?: s| is| are| was| were)? (?:the|our)|whats (?:the|our)'), ' show '],
  [phrase('(?:who|quien|quienes) (?:are|is|were|was|son|es|fueron|fue)'), ' '],
  // Fillers.
  [phrase('por favor|right now|ahora mismo|so far|i d like|i would like'), ' '],
];

/** Single-word status synonyms (multi-word ones are rewritten to these above). */
const STATUS_SYNONYMS: Readonly<Record<OrderStatus, string>> = {
  pending: 'pendiente pendientes pending awaiting open abierta abiertas abierto abiertos',
  shipped:
    'enviada enviadas enviado enviados enviaron despachada despachadas despachado despachados despacharon ' +
    'shipped sent dispatched',
  delivered: 'entregada entregadas entregado entregados entregaron recibida recibidas recibido recibidos delivered received',
  cancelled:
    'cancelada canceladas cancelado cancelados cancelaron anulada anuladas anulado anulados anularon ' +
    'cancelled canceled voided',
};
const STATUS_WORDS = new Map<string, OrderStatus>();
for (const [status, synonyms] of Object.entries(STATUS_SYNONYMS) as Array<[OrderStatus, string]>) {
  for (const word of synonyms.split(' ')) STATUS_WORDS.set(word, status);
}
const STATUS_ALT = [...STATUS_WORDS.keys()].join('|');

/** "en estado pendiente", "con estatus enviado", "with status shipped", "pending status": the noun is redundant. */
const STATUS_NOUN_NEXT_TO_STATUS = new RegExp(
  `(?<![\\p{L}\\p{N}])(?:(?:en|con|with|in|de|of) )?(?:el |the )?(?:estado|estatus|status) (?=(?:${STATUS_ALT})(?![\\p{L}\\p{N}]))` +
    `|(?<=(?:${STATUS_ALT}) )(?:status|estado)(?![\\p{L}\\p{N}])`,
  'gu',
);

const ORDER_NOUN_ALT = 'ordenes|orden|pedidos|pedido|compras|compra|ventas|venta';
/** "órdenes que están pendientes": a relative "que" after an order noun is harmless. */
const RELATIVE_QUE = new RegExp(`(?<=(?:${ORDER_NOUN_ALT}) )que(?![\\p{L}\\p{N}])`, 'gu');

// ---------------------------------------------------------------------------------------------
// Token lexicon: every token left after the phrase rules must be in here (or be a number).
// ---------------------------------------------------------------------------------------------

type TokenEffect = (f: Features) => void;
const LEXICON = new Map<string, TokenEffect>();

function words(list: string, effect: TokenEffect): void {
  for (const w of list.split(/\s+/)) if (w) LEXICON.set(w, effect);
}
const intent = (i: Intent): TokenEffect => (f) => void f.intents.add(i);
const noop: TokenEffect = () => undefined;

for (const [word, status] of STATUS_WORDS) LEXICON.set(word, (f) => void f.statuses.add(status));

words('orden pedido compra order purchase', (f) => void (f.orderSingular = true));
words('ordenes pedidos compras orders purchases', (f) => void (f.orderPlural = true));
words('ventas venta sales sale', (f) => void (f.salesNoun = true));
words('cliente customer client comprador buyer spender', (f) => void (f.customerSingular = true));
words('clientes customers clients compradores buyers spenders', (f) => void (f.customerPlural = true));

words('count cuantas cuantos conteo recuento contar', intent('count'));
words('amount cuanto cuanta monto importe valor suma suman sumado total totales dinero plata value sum worth', intent('amount'));
words('vendimos vendido vendio facturado facturamos facturacion facturo ingresos ingreso revenue sold sell earned', (f) => {
  f.intents.add('amount');
  f.salesVerb = true;
});
words('bystatus', intent('byStatus'));
words('latest ultimas ultimos ultima ultimo recientes reciente last recent newest', intent('latest'));
words('top mejores mejor principales mayores best biggest largest', intent('top'));

words('estado estados estatus status statuses', (f) => void (f.statusNoun = true));
words('resumen desglose distribucion reparto agrupadas agrupados breakdown summary distribution grouped split', (f) => void (f.grouping = true));

words(
  'show muestrame muestra muestren mostrar mostrame dame dime lista listar listame listado enumera ver trae ' +
    'traeme ensename cual cuales list give get display fetch see view tell which',
  (f) => void (f.listing = true),
);

// Grammatical glue that never changes which query is meant. Deliberately absent: "que", "what",
// "how", "no"/"not", "mas", "by", time nouns, "desde"/"since"/"entre"/"between".
words(
  // Spanish
  'el la los las lo un una unos unas de del al a en para con por y o hay habia hubo han ha hemos he tenemos ' +
    'tengo tiene tienen tuvimos existen existe son es fue fueron sido ser estan esta este estas estos se me nos ' +
    'mi mis nuestro nuestra nuestros nuestras todas todos toda todo actualmente ahora aun todavia ya quedan queda ' +
    'favor puedes podrias podria puede decir decirme dar darme indicar indicame saber quiero necesito conocer registradas registrados registrada ' +
    'registrado creadas creados creada creado realizadas realizados hechas hechos nuevas nuevos nueva nuevo sistema ' +
    // English
    'the an of in on for during from at to there are is was were be been being have has had do does did we i you ' +
    'me us our my all currently now still please can could would will know want like d s that it any yet ' +
    'placed created made new recorded registered exist got _',
  noop,
);

/**
 * Takes the time-window phrases out of normalised text, leaving a non-word gap in their place.
 * Shared with the semantic matcher so both read "últimos 7 días" the same way. `invalid` is set
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

// ---------------------------------------------------------------------------------------------
// Feature extraction
// ---------------------------------------------------------------------------------------------

function extractFeatures(normalized: string): Features {
  const f = emptyFeatures();
  let text = normalized;

  const extracted = extractWindows(text);
  text = extracted.text;
  f.windows.push(...extracted.windows);
  if (extracted.invalid) f.invalid = true;
  for (const [re, replacement] of REWRITES) text = text.replace(re, replacement);
  // Rewrites leave double spaces; the adjacency rules below expect single ones.
  text = text.replace(/ {2,}/g, ' ').replace(STATUS_NOUN_NEXT_TO_STATUS, ' ').replace(RELATIVE_QUE, ' ');

  for (const token of text.split(' ')) {
    if (!token) continue;
    const effect = LEXICON.get(token);
    if (effect) {
      effect(f);
      continue;
    }
    const n = parseNumber(token);
    if (n === undefined) {
      f.invalid = true; // unknown word: not confident
      break;
    }
    f.numbers.push(n);
  }
  return f;
}

// ---------------------------------------------------------------------------------------------
// Resolution: features -> one query call, or null
// ---------------------------------------------------------------------------------------------

function onlyIntents(f: Features, allowed: readonly Intent[]): boolean {
  for (const i of f.intents) if (!allowed.includes(i)) return false;
  return true;
}

/** Explicit number, else 1 for a singular noun ("el último pedido"), else the default; clamped. */
function limitFrom(f: Features, singular: boolean): number | null {
  if (f.numbers.length > 1) return null;
  const n = f.numbers[0] ?? (singular ? 1 : DEFAULT_LIMIT);
  if (!Number.isFinite(n) || n < 1) return null;
  return Math.min(n, MAX_ROWS);
}

function statusWindowParams(status: OrderStatus | undefined, window: TimeWindow | undefined) {
  const params: { status?: OrderStatus; window?: TimeWindow } = {};
  if (status) params.status = status;
  if (window) params.window = window;
  return params;
}

function resolveTop(f: Features, status: OrderStatus | undefined, window: TimeWindow | undefined): QueryCall | null {
  const hasCustomers = f.customerSingular || f.customerPlural;
  const orderish = f.orderSingular || f.orderPlural || f.salesNoun || f.salesVerb;
  if (!hasCustomers || !onlyIntents(f, ['top']) || status || orderish) return null;
  const limit = limitFrom(f, f.customerSingular && !f.customerPlural);
  if (limit === null) return null;
  return { name: 'top_customers', params: window ? { limit, window } : { limit } };
}

function resolveByStatus(f: Features, status: OrderStatus | undefined, window: TimeWindow | undefined): QueryCall | null {
  const hasOrders = f.orderSingular || f.orderPlural || f.intents.has('count');
  // Sales/amount by status could mean money per status, which this query may not return.
  if (!hasOrders || !onlyIntents(f, ['byStatus', 'count']) || status || f.numbers.length > 0) return null;
  if (f.salesNoun || f.salesVerb) return null;
  return { name: 'orders_by_status', params: window ? { window } : {} };
}

function resolveLatest(f: Features, status: OrderStatus | undefined, window: TimeWindow | undefined): QueryCall | null {
  const hasOrders = f.orderSingular || f.orderPlural || f.salesNoun;
  // latest_orders has no window: "últimos pedidos de hoy" must not silently drop "hoy".
  if (!hasOrders || !onlyIntents(f, ['latest']) || window || f.salesVerb) return null;
  const limit = limitFrom(f, f.orderSingular && !f.orderPlural);
  if (limit === null) return null;
  return { name: 'latest_orders', params: status ? { limit, status } : { limit } };
}

function resolveCountOrAmount(f: Features, status: OrderStatus | undefined, window: TimeWindow | undefined): QueryCall | null {
  if (f.numbers.length > 0) return null;
  const hasOrders = f.orderSingular || f.orderPlural || f.salesNoun;
  // "ventas de hoy" is revenue, "cuántas ventas" is a count.
  const amount = f.intents.has('amount') || (f.salesNoun && !f.intents.has('count'));
  const count = f.intents.has('count');
  if (count && amount) return null;
  const params = statusWindowParams(status, window);
  if (count) return hasOrders || status ? { name: 'count_orders', params } : null;
  if (amount) return hasOrders || f.salesVerb || status ? { name: 'total_amount', params } : null;
  // Bare "pedidos enviados esta semana": a count, unless it was phrased as a listing request.
  if (hasOrders && (status || window) && !f.listing) return { name: 'count_orders', params };
  return null;
}

function resolve(f: Features): QueryCall | null {
  if (f.invalid || f.statuses.size > 1 || f.windows.length > 1) return null;
  const [status] = f.statuses;
  const [window] = f.windows;

  if (f.statusNoun && f.grouping) f.intents.add('byStatus'); // "order status breakdown"
  if ((f.statusNoun || f.grouping) && !f.intents.has('byStatus')) return null;

  if (f.intents.has('top')) return resolveTop(f, status, window);
  if (f.customerSingular || f.customerPlural) return null; // "¿cuántos clientes hay?": no such query
  if (f.intents.has('byStatus')) return resolveByStatus(f, status, window);
  if (f.intents.has('latest')) return resolveLatest(f, status, window);
  return resolveCountOrAmount(f, status, window);
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

export function createMatcher(enabled: readonly QueryName[] = QUERY_NAMES): Matcher {
  const allowed = new Set<QueryName>(enabled);
  return {
    match(text: string): MatchResult | null {
      if (allowed.size === 0 || text.length > MAX_INPUT_CHARS) return null;
      const normalized = normalize(text);
      if (!normalized) return null;
      const call = resolve(extractFeatures(normalized));
      if (!call || !allowed.has(call.name)) return null;
      return { call, language: detectLanguage(text) };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Follow-ups: "¿y las enviadas?" after "¿Cuántas órdenes pendientes hay?"
// ---------------------------------------------------------------------------------------------

/** Openers and pronouns of a follow-up that carry no meaning of their own. */
export const FOLLOW_UP_FILLER = phrase('and|what about|how about|y que tal|y que hay de|y con|y|ones|one|those|these|esas|esos|aquellas|aquellos');

/**
 * Resolves a short follow-up that only changes the status or the time window of the previous
 * catalogue question ("¿y las enviadas?", "and this week?"), or returns null. Like match(),
 * any word it does not understand makes it give up.
 */
export function resolveFollowUp(text: string, previous: QueryCall): QueryCall | null {
  if (text.length > MAX_INPUT_CHARS) return null;
  const normalized = normalize(text).replace(FOLLOW_UP_FILLER, ' ').trim();
  if (!normalized) return null;
  const f = extractFeatures(normalized);
  const nouns = f.orderSingular || f.orderPlural || f.salesNoun || f.customerSingular || f.customerPlural;
  if (f.invalid || f.intents.size > 0 || f.numbers.length > 0 || f.listing || f.statusNoun || f.grouping) return null;
  if (f.statuses.size > 1 || f.windows.length > 1) return null;
  const [status] = f.statuses;
  const [window] = f.windows;
  if (!status && !window) return null;
  if (nouns && !(f.orderSingular || f.orderPlural)) return null;

  switch (previous.name) {
    case 'count_orders':
    case 'total_amount': {
      const params = { ...previous.params, ...(status ? { status } : {}), ...(window ? { window } : {}) };
      return { name: previous.name, params };
    }
    case 'latest_orders':
      return window ? null : { name: 'latest_orders', params: { ...previous.params, status: status! } };
    case 'orders_by_status':
      return status ? null : { name: 'orders_by_status', params: { window: window! } };
    case 'top_customers':
      return status ? null : { name: 'top_customers', params: { ...previous.params, window: window! } };
  }
}
