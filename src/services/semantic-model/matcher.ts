/**
 * The model-driven matcher: a Spanish or English question → one SemanticQuery of the project's
 * semantic model, or null ("not confident: let the language model answer").
 *
 * Precision over recall, as the catalogue matcher it replaced: every word of the question must be
 * known (a model word or built-in grammar, see vocabulary.ts), every model word must fit one model,
 * and the words must form one of the query shapes. Each model is tried as the question's subject;
 * the question resolves only when exactly one model takes every word and is named by one of them
 * (its own noun, measure, dimension or value; a shared "cuántos" names none). Two fitting models,
 * or two meanings of one word inside the model, are an ambiguity and give null.
 *
 * The result holds only names and values taken from the model, numbers and window kinds: never
 * text from the question. Every query returned passes checkQuery.
 */
import { detectLanguage } from '../language.js';
import { phrase } from './time-windows.js';
import { checkQuery } from './check.js';
import {
  filterOperation,
  MAX_QUERY_LIMIT,
  MAX_QUESTION_CHARS,
  primaryTimeDimension,
  type Granularity,
  type Language,
  type Measure,
  type ModelDef,
  type QueryFilter,
  type SemanticModel,
  type SemanticQuery,
  type StoredValue,
  type TimeWindow,
} from './schema.js';
import { compileVocabulary, type Item, type Meaning, type Scan } from './vocabulary.js';
import { normalizeWords } from './words.js';

/** Openers and pronouns of a follow-up ("¿y las enviadas?", "what about shipped ones?") that carry no meaning of their own. */
const FOLLOW_UP_FILLER = phrase('and|what about|how about|y que tal|y que hay de|y con|y|ones|one|those|these|esas|esos|aquellas|aquellos');

export type SemanticMatch = { query: SemanticQuery; language: Language };

export interface SemanticMatcher {
  match(question: string): SemanticMatch | null;
  /** A short follow-up ("¿y las enviadas?", "and this month?") refining the previous query, or null. */
  followUp(question: string, previous: SemanticQuery): SemanticQuery | null;
}

/** Rows of a latest or top N question that names no number ("últimos pedidos"). */
const DEFAULT_LIMIT = 5;

// ---------------------------------------------------------------------------------------------
// How one word fits one candidate model
// ---------------------------------------------------------------------------------------------

type Fit =
  | { kind: 'self' }
  | { kind: 'measure'; measure: string }
  /** A categorical dimension (own: "estado"; joined: "cliente.nombre") used as a breakdown. */
  | { kind: 'group'; ref: string }
  /** A dimension word outside a breakdown: only allowed next to one of its values ("en estado pendiente"). */
  | { kind: 'dimensionWord'; ref: string }
  | { kind: 'value'; ref: string; value: StoredValue };

/** One scanned word as read inside a candidate model: its fit, or its grammar. */
type Reading =
  | { kind: 'fit'; fit: Fit; anchors: boolean; singular: boolean; countWord: boolean }
  | { kind: 'grammar'; meaning: Meaning; singular: boolean }
  | { kind: 'number'; value: number };

type ModelIndex = {
  def: ModelDef;
  /** join name by target model name (first join wins when a model is joined twice) */
  joinsTo: Map<string, string>;
  /** The categorical dimension naming a joined model's rows ("nombre"), by model name. */
  labelOf: (target: string) => string | undefined;
};

function labelDimension(model: ModelDef): string | undefined {
  // A free-text categorical dimension (no closed value list) is what names the rows; with
  // several, one called nombre/name; otherwise there is no safe choice.
  const free = model.dimensions.filter((d) => d.type === 'categorical' && !d.values);
  if (free.length === 1) return free[0]?.name;
  return free.find((d) => d.name === 'nombre' || d.name === 'name')?.name;
}

/**
 * Reads every item inside the candidate model, or returns null when some word does not fit it or
 * fits it in two ways. `top` says the question asks for a ranking: there, as right after "por"/"by"
 * or next to "resumen"/"breakdown", a dimension or a joined model's noun ("top 5 clientes") is the
 * breakdown; elsewhere a dimension word only restates a value ("en estado pendiente").
 */
function readItems(project: Map<string, ModelDef>, index: ModelIndex, items: readonly Item[], top: boolean): Reading[] | null {
  const readings: Reading[] = [];
  let previousGrammar: Meaning | undefined;
  let groupNoun = false;
  for (const item of items) if (item.kind === 'word' && item.meanings.some((m) => m.kind === 'groupNoun')) groupNoun = true;

  for (const item of items) {
    if (item.kind === 'number') {
      readings.push(item);
      previousGrammar = undefined;
      continue;
    }
    const afterBy = previousGrammar?.kind === 'by';
    const fits = new Map<string, { fit: Fit; anchors: boolean }>();
    let grammar: Meaning | undefined;
    for (const meaning of item.meanings) {
      const fit = fitOf(project, index, meaning, afterBy || top || groupNoun, top);
      if (fit) fits.set(fitKey(fit.fit), fit);
      else if (!('model' in meaning)) grammar ??= meaning;
    }
    if (fits.size > 1) return null; // one word, two meanings in this model
    const [only] = fits.values();
    if (only) {
      const countWord = item.meanings.some((m) => m.kind === 'count');
      // A word shared with grammar ("cuántos" is every model's count) does not name this model.
      readings.push({ kind: 'fit', fit: only.fit, anchors: only.anchors && !grammar, singular: item.singular, countWord });
      previousGrammar = undefined;
      continue;
    }
    if (!grammar) return null; // a word of another model only
    if (grammar.kind === 'relativeQue' && !(readings.at(-1)?.kind === 'fit')) return null;
    readings.push({ kind: 'grammar', meaning: grammar, singular: item.singular });
    if (grammar.kind !== 'filler') previousGrammar = grammar;
    else if (previousGrammar?.kind !== 'by') previousGrammar = undefined; // "por el estado", "by their status"
  }
  return readings;
}

/** Identity of a fit, to see whether a word's meanings agree (cheaper than JSON on the hot path). */
function fitKey(fit: Fit): string {
  switch (fit.kind) {
    case 'self':
      return 'self';
    case 'measure':
      return `measure ${fit.measure}`;
    case 'group':
    case 'dimensionWord':
      return `${fit.kind} ${fit.ref}`;
    case 'value':
      // Typed: the code "1" and the number 1 are different values.
      return `value ${fit.ref} ${typeof fit.value} ${String(fit.value)}`;
  }
}

function fitOf(
  project: Map<string, ModelDef>,
  index: ModelIndex,
  meaning: Meaning,
  grouping: boolean,
  top: boolean,
): { fit: Fit; anchors: boolean } | null {
  const model = index.def;
  switch (meaning.kind) {
    case 'model': {
      if (meaning.model === model.name) return { fit: { kind: 'self' }, anchors: true };
      const join = index.joinsTo.get(meaning.model);
      const label = index.labelOf(meaning.model);
      if (!grouping || join === undefined || label === undefined) return null;
      // "los 3 mejores clientes" ranks the customers of the model that joins them: in a ranking the
      // joined noun names this model too (the customer model itself cannot rank: it has no group).
      return { fit: { kind: 'group', ref: `${join}.${label}` }, anchors: top };
    }
    case 'measure':
      return meaning.model === model.name ? { fit: { kind: 'measure', measure: meaning.measure }, anchors: true } : null;
    case 'dimension':
    case 'value': {
      let prefix = '';
      let owner: ModelDef | undefined = model;
      if (meaning.model !== model.name) {
        const join = index.joinsTo.get(meaning.model);
        if (join === undefined) return null;
        prefix = `${join}.`;
        owner = project.get(meaning.model);
      }
      const dimension = owner?.dimensions.find((d) => d.name === meaning.dimension);
      // A time dimension's own words ("fecha") ask something the shapes do not say: no fit.
      if (!dimension || dimension.type !== 'categorical') return null;
      const ref = `${prefix}${dimension.name}`;
      const anchors = prefix === '';
      if (meaning.kind === 'value') return { fit: { kind: 'value', ref, value: meaning.value }, anchors: true };
      return { fit: grouping ? { kind: 'group', ref } : { kind: 'dimensionWord', ref }, anchors };
    }
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Readings → one query
// ---------------------------------------------------------------------------------------------

/**
 * "¿Cuántos pedidos?": the model's count measure; with several, the unfiltered one (all rows is
 * what a bare "how many" means), else none.
 */
function countMeasure(model: ModelDef): Measure | undefined {
  const counts = model.measures.filter((m) => m.type === 'count');
  return counts.length === 1 ? counts[0] : onlyOne(counts.filter((m) => !m.filter));
}

/**
 * "¿Cuánto…?", "top 5 clientes": the model's sum measure only when it has exactly one. Two sums
 * (gross and net of cancelled) are a real ambiguity: a wrong total is worse than asking the model.
 * A ranking without a measure word uses the measure declared `ranking: true`, when there is one.
 */
function sumMeasure(model: ModelDef): Measure | undefined {
  return onlyOne(model.measures.filter((m) => m.type === 'sum'));
}

function onlyOne<T>(list: T[]): T | undefined {
  return list.length === 1 ? list[0] : undefined;
}

type Parts = {
  measures: Set<string>;
  count: boolean;
  amount: boolean;
  latest: boolean;
  top: boolean;
  /** Both directions asked ("mejores y peores") is refused. */
  orders: Set<'asc' | 'desc'>;
  list: boolean;
  groupNoun: boolean;
  self: boolean;
  selfSingular: boolean;
  groups: Map<string, boolean>;
  dimensionWords: Set<string>;
  granularities: Set<Granularity>;
  values: Map<string, StoredValue[]>;
  numbers: number[];
};

function collect(readings: readonly Reading[]): Parts | null {
  const parts: Parts = {
    measures: new Set(),
    count: false,
    amount: false,
    latest: false,
    top: false,
    orders: new Set(),
    list: false,
    groupNoun: false,
    self: false,
    selfSingular: false,
    groups: new Map(),
    dimensionWords: new Set(),
    granularities: new Set(),
    values: new Map(),
    numbers: [],
  };
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i] as Reading;
    if (r.kind === 'number') {
      parts.numbers.push(r.value);
      continue;
    }
    if (r.kind === 'fit') {
      const fit = r.fit;
      if (r.countWord) parts.count = true;
      switch (fit.kind) {
        case 'self':
          parts.self = true;
          parts.selfSingular ||= r.singular;
          break;
        case 'measure':
          // "número de" is every count measure's word: it asks for a count, it names none, so
          // "número de clientes únicos" is the distinct count and not two measures.
          if (!r.countWord) parts.measures.add(fit.measure);
          break;
        case 'group':
          parts.groups.set(fit.ref, (parts.groups.get(fit.ref) ?? false) || r.singular);
          break;
        case 'dimensionWord':
          parts.dimensionWords.add(fit.ref);
          break;
        case 'value': {
          const list = parts.values.get(fit.ref) ?? [];
          if (!list.includes(fit.value)) list.push(fit.value);
          parts.values.set(fit.ref, list);
          break;
        }
      }
      continue;
    }
    const m = r.meaning;
    switch (m.kind) {
      case 'count':
        parts.count = true;
        break;
      case 'amount':
        parts.amount = true;
        break;
      case 'latest':
        parts.latest = true;
        break;
      case 'top':
        parts.top = true;
        parts.orders.add(m.order);
        break;
      case 'list':
        parts.list = true;
        break;
      case 'groupNoun':
        parts.groupNoun = true;
        break;
      case 'granularity':
        // "por día" or "diario": a series; a bare "día" outside a window is not ours.
        if (!m.adverb && !isAfterBy(readings, i)) return null;
        parts.granularities.add(m.granularity);
        break;
      case 'by': {
        // "por" must introduce a breakdown, a series or a ranking measure ("por importe").
        const next = nextMeaningful(readings, i);
        const ok =
          next !== undefined &&
          ((next.kind === 'fit' && (next.fit.kind === 'group' || next.fit.kind === 'measure')) ||
            (next.kind === 'grammar' && next.meaning.kind === 'granularity'));
        if (!ok) return null;
        break;
      }
      default:
        break;
    }
  }
  return parts;
}

function nextMeaningful(readings: readonly Reading[], i: number): Reading | undefined {
  for (let j = i + 1; j < readings.length; j++) {
    const r = readings[j] as Reading;
    if (r.kind === 'grammar' && r.meaning.kind === 'filler') continue;
    return r;
  }
  return undefined;
}

function isAfterBy(readings: readonly Reading[], i: number): boolean {
  for (let j = i - 1; j >= 0; j--) {
    const r = readings[j] as Reading;
    if (r.kind === 'grammar' && r.meaning.kind === 'filler') continue;
    return r.kind === 'grammar' && r.meaning.kind === 'by';
  }
  return false;
}

function filtersOf(values: Map<string, StoredValue[]>): QueryFilter[] {
  const filters: QueryFilter[] = [];
  for (const [dimension, list] of values) {
    filters.push(list.length === 1 ? { dimension, equals: list[0] as StoredValue } : { dimension, in: list });
  }
  return filters;
}

function limitFrom(numbers: number[], singular: boolean): number | null {
  if (numbers.length > 1) return null;
  const n = numbers[0] ?? (singular ? 1 : DEFAULT_LIMIT);
  if (!Number.isInteger(n) || n < 1) return null;
  return Math.min(n, MAX_QUERY_LIMIT);
}

/**
 * Whether a filter of the question leaves the measure's own filter no rows: "importe de los pedidos
 * cancelados" when importe excludes cancelled orders would answer 0 rather than the question.
 */
function contradictsMeasure(measure: Measure, filters: readonly QueryFilter[]): boolean {
  for (const own of measure.filter ?? []) {
    const mine = filterOperation(own);
    for (const filter of filters) {
      if (filter.dimension !== own.dimension) continue;
      const asked = filterOperation(filter);
      if (asked.op === 'not_in') continue; // excluding more never empties what is left by construction
      const allowed = asked.values.filter((v) => (mine.op === 'not_in' ? !mine.values.includes(v) : mine.values.includes(v)));
      if (allowed.length === 0) return true;
    }
  }
  return false;
}

/** Builds the query in one key order, so equal questions give deep-equal (and equally printed) queries. */
function assemble(parts: {
  model: string;
  measure?: string | undefined;
  filters: QueryFilter[];
  window?: TimeWindow | undefined;
  group_by?: string | undefined;
  series?: { dimension: string; granularity: Granularity } | undefined;
  order?: 'asc' | 'desc' | undefined;
  limit?: number | undefined;
  latest?: { limit: number } | undefined;
}): SemanticQuery {
  const query: SemanticQuery = { model: parts.model };
  if (parts.measure !== undefined) query.measure = parts.measure;
  if (parts.filters.length > 0) query.filters = parts.filters;
  if (parts.window) query.window = parts.window;
  if (parts.group_by !== undefined) query.group_by = parts.group_by;
  if (parts.series) query.series = parts.series;
  if (parts.order) query.order = parts.order;
  if (parts.limit !== undefined) query.limit = parts.limit;
  if (parts.latest) query.latest = parts.latest;
  return query;
}

function build(model: ModelDef, parts: Parts, windows: TimeWindow[]): SemanticQuery | null {
  if (windows.length > 1) return null;
  const [window] = windows;
  if (parts.granularities.size > 1 || parts.groups.size > 1) return null;
  if (parts.latest && parts.top) return null;

  // A dimension word outside a breakdown: a breakdown when the question says "resumen"/"breakdown",
  // redundant next to one of its values ("en estado pendiente"), otherwise not understood.
  for (const ref of parts.dimensionWords) {
    if (parts.groupNoun) parts.groups.set(ref, false);
    else if (!parts.values.has(ref)) return null;
  }
  if (parts.groups.size > 1) return null;
  const [groupEntry] = parts.groups.entries();
  const group = groupEntry?.[0];
  const [granularity] = parts.granularities;
  if (group !== undefined && granularity !== undefined) return null;
  // "¿cuántas pendientes hay por estado?": a breakdown of one value says nothing more.
  if (group !== undefined && parts.values.has(group)) return null;
  const filters = filtersOf(parts.values);

  if (parts.latest) {
    if (parts.measures.size > 0 || parts.count || parts.amount || group !== undefined || granularity !== undefined) return null;
    if (!parts.self) return null;
    const limit = limitFrom(parts.numbers, parts.selfSingular);
    if (limit === null) return null;
    return assemble({ model: model.name, filters, window, latest: { limit } });
  }
  if (!parts.top && parts.numbers.length > 0) return null;

  let measure: Measure | undefined;
  if (parts.measures.size > 1) return null;
  if (parts.measures.size === 1) {
    const [name] = parts.measures;
    measure = model.measures.find((m) => m.name === name);
    if (!measure) return null;
    if (parts.count && measure.type !== 'count' && measure.type !== 'count_distinct') return null;
    if (parts.amount && (measure.type === 'count' || measure.type === 'count_distinct')) return null;
  } else if (parts.count && parts.amount) {
    return null;
  } else if (parts.count) {
    measure = countMeasure(model);
  } else if (parts.top && !parts.amount) {
    measure = model.measures.find((m) => m.ranking) ?? sumMeasure(model);
  } else if (parts.amount || parts.top) {
    measure = sumMeasure(model);
  } else if (parts.self && !parts.list && (group !== undefined || granularity !== undefined || filters.length > 0 || window)) {
    // "pedidos enviados esta semana", "órdenes por estado": how many of them.
    measure = countMeasure(model);
  }
  if (!measure || contradictsMeasure(measure, filters)) return null;

  if (parts.top) {
    const [order] = parts.orders;
    if (group === undefined || parts.orders.size !== 1 || order === undefined) return null;
    const limit = limitFrom(parts.numbers, groupEntry?.[1] ?? false);
    if (limit === null) return null;
    return assemble({ model: model.name, measure: measure.name, filters, window, group_by: group, order, limit });
  }
  if (granularity !== undefined) {
    const time = primaryTimeDimension(model);
    if (!time || !time.granularities.includes(granularity)) return null;
    return assemble({ model: model.name, measure: measure.name, filters, window, series: { dimension: time.name, granularity } });
  }
  return assemble({ model: model.name, measure: measure.name, filters, window, group_by: group });
}

/**
 * The answer's language: the language of the model words the question used when they agree on
 * one ("draft invoices" is English though no general English word is in it), else the general
 * detector (Spanish on a tie, the service's primary language).
 */
function languageOf(question: string, scan: Scan): Language {
  let es = 0;
  let en = 0;
  for (const item of scan.items) {
    if (item.kind !== 'word') continue;
    if (item.language === 'es') es += 1;
    else if (item.language === 'en') en += 1;
  }
  if (es !== en) return es > en ? 'es' : 'en';
  return detectLanguage(question);
}

// ---------------------------------------------------------------------------------------------
// The matcher
// ---------------------------------------------------------------------------------------------

export function createSemanticMatcher(project: SemanticModel): SemanticMatcher {
  const vocabulary = compileVocabulary(project);
  const byName = new Map(project.models.map((m) => [m.name, m]));
  const indexes: ModelIndex[] = project.models.map((def) => {
    const joinsTo = new Map<string, string>();
    for (const join of def.joins) if (!joinsTo.has(join.model)) joinsTo.set(join.model, join.name);
    const labels = new Map<string, string | undefined>();
    for (const target of joinsTo.keys()) {
      const targetDef = byName.get(target);
      labels.set(target, targetDef ? labelDimension(targetDef) : undefined);
    }
    return { def, joinsTo, labelOf: (target) => labels.get(target) };
  });
  const indexOf = new Map(indexes.map((i) => [i.def.name, i]));

  const scanQuestion = (question: string, strip?: RegExp): Scan | null => {
    if (question.length > MAX_QUESTION_CHARS) return null;
    let normalized = normalizeWords(question);
    if (strip) normalized = normalized.replace(strip, ' ').replace(/\s+/g, ' ').trim();
    if (!normalized) return null;
    return vocabulary.scan(normalized);
  };

  /** The query must be one the model answers; anything else is a bug here, answered as "not sure". */
  const verified = (query: SemanticQuery | null): SemanticQuery | null =>
    query && checkQuery(project, query).length === 0 ? query : null;

  return {
    match(question) {
      const scan = scanQuestion(question);
      if (!scan || scan.items.length === 0) return null;
      const top = scan.items.some((i) => i.kind === 'word' && i.meanings.some((m) => m.kind === 'top'));
      // Every model that takes every word and is named by one of them proposes its query; the
      // question resolves only when exactly one proposal stands ("top 5 clientes" in a sales model:
      // the customer model takes the words but cannot rank, the order model can).
      let found: SemanticQuery | undefined;
      for (const index of indexes) {
        const readings = readItems(byName, index, scan.items, top);
        if (!readings || !readings.some((r) => r.kind === 'fit' && r.anchors)) continue;
        const parts = collect(readings);
        const query = parts && verified(build(index.def, parts, scan.windows));
        if (!query) continue;
        if (found) return null; // two models answer it: ambiguous
        found = query;
      }
      return found ? { query: found, language: languageOf(question, scan) } : null;
    },

    followUp(question, previous) {
      const index = indexOf.get(previous.model);
      if (!index) return null;
      const scan = scanQuestion(question, FOLLOW_UP_FILLER);
      if (!scan) return null;
      const readings = readItems(byName, index, scan.items, false);
      if (!readings) return null;
      const parts = collect(readings);
      if (!parts) return null;
      // A follow-up changes filters, the window, the breakdown or the series: a new intent,
      // number or listing is a new question.
      if (parts.count || parts.amount || parts.latest || parts.top || parts.list || parts.groupNoun || parts.numbers.length > 0) return null;
      if (parts.dimensionWords.size > 0 || parts.groups.size > 1 || parts.granularities.size > 1 || scan.windows.length > 1) return null;
      if (parts.measures.size > 1) return null;
      const [group] = parts.groups.keys();
      const [granularity] = parts.granularities;
      const [measure] = parts.measures;
      const [window] = scan.windows;
      if (parts.values.size === 0 && !window && group === undefined && granularity === undefined && measure === undefined) return null;

      const next: SemanticQuery = structuredClone(previous);
      if (parts.values.size > 0) {
        const replaced = new Set(parts.values.keys());
        if (next.group_by !== undefined && replaced.has(next.group_by)) return null;
        const kept = (next.filters ?? []).filter((f) => !replaced.has(f.dimension));
        next.filters = [...kept, ...filtersOf(parts.values)];
      }
      if (window) next.window = window;
      if (measure !== undefined) {
        if (next.latest) return null;
        next.measure = measure;
      }
      const nextMeasure = index.def.measures.find((m) => m.name === next.measure);
      if (nextMeasure && contradictsMeasure(nextMeasure, next.filters ?? [])) return null;
      if (group !== undefined) {
        if (next.latest || granularity !== undefined) return null;
        if (next.filters?.some((f) => f.dimension === group)) return null;
        next.group_by = group;
        delete next.series;
      }
      if (granularity !== undefined) {
        const time = primaryTimeDimension(index.def);
        if (next.latest || !time) return null;
        next.series = { dimension: time.name, granularity };
        delete next.group_by;
        delete next.order;
        delete next.limit;
      }
      return verified(
        assemble({
          model: next.model,
          measure: next.measure,
          filters: next.filters ?? [],
          window: next.window,
          group_by: next.group_by,
          series: next.series,
          order: next.order,
          limit: next.limit,
          latest: next.latest,
        }),
      );
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Examples
// ---------------------------------------------------------------------------------------------

export type ExampleMismatch = {
  index: number;
  question: string;
  expected: SemanticQuery;
  actual: SemanticQuery | null;
  /** Set when the example declares a language and the matcher detected the other one. */
  language?: { expected: Language; actual: Language };
};

/** The model's example questions that do not resolve to exactly their query (none when all do). */
export function checkExamples(project: SemanticModel, matcher: SemanticMatcher = createSemanticMatcher(project)): ExampleMismatch[] {
  const mismatches: ExampleMismatch[] = [];
  project.examples.forEach((example, index) => {
    const result = matcher.match(example.question);
    const actual = result?.query ?? null;
    const sameQuery = actual !== null && canonical(actual) === canonical(example.query);
    const languageOff = example.language !== undefined && result !== null && result.language !== example.language;
    if (sameQuery && !languageOff) return;
    const mismatch: ExampleMismatch = { index, question: example.question, expected: example.query, actual };
    if (languageOff && example.language && result) mismatch.language = { expected: example.language, actual: result.language };
    mismatches.push(mismatch);
  });
  return mismatches;
}

/** JSON with sorted keys: two queries are the same whatever order their keys were written in. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
