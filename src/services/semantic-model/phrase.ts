/**
 * Phrasing a semantic query's result in Spanish or English from the model's own words and labels.
 *
 * Nouns and adjectives come from word lists: the first word of a language is taken as the
 * singular ("pedido", "pendiente") and its plural is the list's word that the plural rule of
 * words.ts reduces to it ("pedidos", "pendientes"); English adjectives do not inflect. Labels
 * ("Pendiente") name values in lists. Numbers use format.ts (es-ES, en-US).
 *
 * Pure, no Node APIs: it runs on Workers.
 */
import { formatDate, formatInteger, formatMoney } from './format.js';
import { windowPhrase } from './time-windows.js';
import type { CompiledQuery } from './compile.js';
import {
  filterOperation,
  type Dimension,
  type Granularity,
  type Label,
  type Language,
  type Measure,
  type MeasureFilter,
  type ModelDef,
  type QueryFilter,
  type SemanticModel,
  type SemanticQuery,
  type StoredValue,
  type Words,
} from './schema.js';
import { normalizeWords, singularForms } from './words.js';

/** A result value as data: numbers, text, ISO dates, or null. */
export type DataValue = string | number | boolean | null;
export type DataRow = Record<string, DataValue>;

// ---------------------------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------------------------

export type Forms = { singular: string; plural: string };

/**
 * Singular and plural of a word list in one language: the first word, and the listed word whose
 * last token the plural rule maps back to the first word's last token ("órdenes" → "orden",
 * "pedidos pendientes" → "pedido pendiente" is not needed: the last token decides).
 */
export function wordForms(words: Words | undefined, lang: Language): Forms | undefined {
  const list = words?.[lang];
  const first = list?.[0];
  if (!list || first === undefined) return undefined;
  const key = normalizeWords(first);
  const plural = list.slice(1).find((word) => {
    const normalized = normalizeWords(word);
    return normalized !== key && singularForms(normalized).includes(key);
  });
  return { singular: first, plural: plural ?? first };
}

/** The model's noun ("pedido"/"pedidos"); its name as a last resort. */
export function modelNoun(model: ModelDef, lang: Language): Forms {
  return wordForms(model.words, lang) ?? wordForms(model.words, other(lang)) ?? { singular: model.name, plural: model.name };
}

const other = (lang: Language): Language => (lang === 'es' ? 'en' : 'es');

function label(labels: Label | undefined, words: Words | undefined, lang: Language, fallback: string): string {
  return labels?.[lang] ?? words?.[lang]?.[0] ?? labels?.[other(lang)] ?? words?.[other(lang)]?.[0] ?? fallback;
}

/** How a stored value reads: its label ("Pendiente"), else its first word, else the value itself. */
export function valueLabel(dimension: Dimension | undefined, value: DataValue, lang: Language): string {
  if (value === null) return lang === 'es' ? '(sin valor)' : '(none)';
  const declared = dimension?.type === 'categorical' ? dimension.values?.find((v) => v.value === value) : undefined;
  // Words are written lower-case for matching; in a list they read as names ("Pagada").
  return declared ? capitalize(label(declared.label, declared.words, lang, String(value))) : String(value);
}

function dimensionWord(dimension: Dimension, lang: Language): string {
  return (dimension.label?.[lang] ?? wordForms(dimension.words, lang)?.singular ?? dimension.name).toLowerCase();
}

function measureWord(measure: Measure, lang: Language): string {
  return label(measure.label, measure.words, lang, measure.name);
}

const capitalize = (text: string): string => text.charAt(0).toLocaleUpperCase() + text.slice(1);

// ---------------------------------------------------------------------------------------------
// Filters as words: "pendientes", "enviados o completados", "con código de país México"
// ---------------------------------------------------------------------------------------------

type FilterOn = { filter: MeasureFilter | QueryFilter; dimension: Dimension; own: boolean };

/**
 * A filter on the model's own dimension with equals/in reads as adjectives of the noun (their
 * first words, agreeing in number in Spanish); the others read as "con estado distinto de X" /
 * "with status other than X".
 */
function qualifiers(filters: FilterOn[], count: number, lang: Language): { adjectives: string[]; clauses: string[] } {
  const adjectives: string[] = [];
  const clauses: string[] = [];
  const or = lang === 'es' ? ' o ' : ' or ';
  for (const { filter, dimension, own } of filters) {
    const { op, values } = filterOperation(filter);
    const declared = (value: StoredValue) => (dimension.type === 'categorical' ? dimension.values?.find((v) => v.value === value) : undefined);
    if (own && op !== 'not_in') {
      adjectives.push(
        values
          .map((value) => {
            const forms = wordForms(declared(value)?.words, lang);
            if (!forms) return valueLabel(dimension, value, lang).toLowerCase();
            return lang === 'es' && count !== 1 ? forms.plural : forms.singular;
          })
          .join(or),
      );
      continue;
    }
    const names = values.map((value) => valueLabel(dimension, value, lang)).join(or);
    const what = dimensionWord(dimension, lang);
    if (lang === 'es') clauses.push(op === 'not_in' ? `con ${what} distinto de ${names}` : `con ${what} ${names}`);
    else clauses.push(op === 'not_in' ? `with ${what} other than ${names}` : `with ${what} ${names}`);
  }
  return { adjectives, clauses };
}

/** "12 pedidos pendientes" / "12 pending orders" (count given, or left out with `n` undefined). */
function nounPhrase(noun: Forms, filters: FilterOn[], count: number, lang: Language, n: string | undefined): string {
  const { adjectives, clauses } = qualifiers(filters, count, lang);
  const word = count === 1 ? noun.singular : noun.plural;
  const head =
    lang === 'es'
      ? [n, word, ...adjectives].filter(Boolean).join(' ')
      : [n, ...adjectives, word].filter(Boolean).join(' ');
  return [head, ...clauses].join(' ');
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/** A measure's value as text: currency with 2 decimals, counts and integers whole, else up to 2 decimals. */
export function formatMeasure(measure: Measure, value: DataValue, lang: Language): string {
  if (value === null) return lang === 'es' ? 'sin datos' : 'no data';
  if (typeof value !== 'number') return String(value);
  if (measure.format === 'currency') return formatMoney(value, lang);
  if (measure.format === 'integer' || measure.type === 'count' || measure.type === 'count_distinct') return formatInteger(value, lang);
  return new Intl.NumberFormat(lang === 'es' ? 'es-ES' : 'en-US', { maximumFractionDigits: 2 }).format(value);
}

const GRANULARITY_WORDS: Record<Language, Record<Granularity, string>> = {
  es: { hour: 'hora', day: 'día', week: 'semana', month: 'mes', quarter: 'trimestre', year: 'año' },
  en: { hour: 'hour', day: 'day', week: 'week', month: 'month', quarter: 'quarter', year: 'year' },
};

/** A series bucket ("2026-03-01", local to the project's zone) as a reader expects it per granularity. */
function bucketLabel(bucket: DataValue, granularity: Granularity): string {
  const text = String(bucket);
  if (granularity === 'month') return text.slice(0, 7);
  if (granularity === 'year') return text.slice(0, 4);
  if (granularity === 'quarter') return `${text.slice(0, 4)}-T${Math.floor((Number(text.slice(5, 7)) - 1) / 3) + 1}`;
  return text;
}

// ---------------------------------------------------------------------------------------------
// Sentences
// ---------------------------------------------------------------------------------------------

export type PhraseInput = {
  project: SemanticModel;
  query: SemanticQuery;
  compiled: CompiledQuery;
  rows: DataRow[];
  lang: Language;
  timeZone: string;
};

/** The answer to a query, in the question's language. */
export function phraseAnswer({ project, query, compiled, rows, lang, timeZone }: PhraseInput): string {
  const es = lang === 'es';
  const model = project.models.find((m) => m.name === query.model);
  if (!model) throw new Error(`unknown model ${query.model}`);
  const noun = modelNoun(model, lang);
  const resolve = (ref: string): { dimension: Dimension | undefined; model: ModelDef | undefined; own: boolean } => {
    const dot = ref.indexOf('.');
    if (dot < 0) return { dimension: model.dimensions.find((d) => d.name === ref), model, own: true };
    const join = model.joins.find((j) => j.name === ref.slice(0, dot));
    const target = project.models.find((m) => m.name === join?.model);
    return { dimension: target?.dimensions.find((d) => d.name === ref.slice(dot + 1)), model: target, own: false };
  };
  const filterOn = (filter: MeasureFilter | QueryFilter): FilterOn[] => {
    const { dimension, own } = resolve(filter.dimension);
    return dimension ? [{ filter, dimension, own }] : [];
  };
  const measure = model.measures.find((m) => m.name === query.measure);
  // A count of rows describes its rows: its own filter ("sin cancelados") is part of the noun.
  // Other measures name themselves ("importe") and their filter is in their definition.
  const countsRows = measure?.type === 'count' && measure.column === undefined;
  const filters = [...(countsRows ? (measure.filter ?? []) : []), ...(query.filters ?? [])].flatMap(filterOn);
  const when = windowPhrase(query.window, lang);

  switch (compiled.shape) {
    case 'aggregate': {
      if (!measure) throw new Error('an aggregate needs a measure');
      const row = rows[0] ?? {};
      const count = Number(row.count ?? 0);
      const value = row[measure.name] ?? null;
      if (countsRows) {
        const n = Number(value ?? 0);
        if (n === 0) return es ? `No hay ${nounPhrase(noun, filters, 0, lang, undefined)}${when}.` : `There are no ${nounPhrase(noun, filters, 0, lang, undefined)}${when}.`;
        const what = nounPhrase(noun, filters, n, lang, formatInteger(n, lang));
        return es ? `Hay ${what}${when}.` : `There ${n === 1 ? 'is' : 'are'} ${what}${when}.`;
      }
      const name = measureWord(measure, lang);
      // No rows: nothing to add up ("No hay órdenes canceladas este mes", not "importe 0,00").
      if (count === 0) {
        const none = nounPhrase(noun, filters, 0, lang, undefined);
        return es ? `No hay ${none}${when}.` : `There are no ${none}${when}.`;
      }
      const of = nounPhrase(noun, filters, count, lang, formatInteger(count, lang));
      return es
        ? `${capitalize(name)} de ${of}${when}: ${formatMeasure(measure, value, lang)}.`
        : `${capitalize(name)} of ${of}${when}: ${formatMeasure(measure, value, lang)}.`;
    }

    case 'breakdown':
    case 'top': {
      if (!measure || query.group_by === undefined) throw new Error('a breakdown needs a measure and a group');
      const groupRef = query.group_by;
      const { dimension, model: groupModel, own } = resolve(groupRef);
      const shown = compiled.shape === 'breakdown' ? rows.slice(0, compiled.limit === undefined ? rows.length : compiled.limit - 1) : rows;
      const subject = countsRows ? capitalize(nounPhrase(noun, filters, 2, lang, undefined)) : capitalize(measureWord(measure, lang));
      const byWhat = dimension ? dimensionWord(dimension, lang) : groupRef;
      if (shown.length === 0) {
        return es ? `No hay ${nounPhrase(noun, filters, 0, lang, undefined)}${when}.` : `There are no ${nounPhrase(noun, filters, 0, lang, undefined)}${when}.`;
      }
      const item = (row: DataRow) => `${valueLabel(dimension, row[groupRef] ?? null, lang)} ${formatMeasure(measure, row[measure.name] ?? null, lang)}`;
      if (compiled.shape === 'breakdown') {
        const more = rows.length > shown.length ? (es ? ' (y más)' : ' (and more)') : '';
        return `${subject} ${es ? 'por' : 'by'} ${byWhat}${when}: ${shown.map(item).join(', ')}${more}.`;
      }
      // Top N: who is ranked ("clientes") is the joined model's noun, or the dimension's own words.
      const ranked = !own && groupModel ? modelNoun(groupModel, lang) : (dimension && wordForms(dimension.words, lang)) || { singular: byWhat, plural: byWhat };
      const k = shown.length;
      const by = measureWord(measure, lang).toLowerCase();
      const desc = query.order !== 'asc';
      const heading = es
        ? `${desc ? 'Top' : 'Últimos'} ${k} ${k === 1 ? ranked.singular : ranked.plural} por ${by}${desc ? '' : ' (de menor a mayor)'}${when}:`
        : `${desc ? 'Top' : 'Bottom'} ${k} ${k === 1 ? ranked.singular : ranked.plural} by ${by}${when}:`;
      const lines = shown.map((row, i) => {
        const count = Number(row.count ?? 0);
        const rowsWord = count === 1 ? noun.singular : noun.plural;
        const extra = countsRows ? '' : ` (${formatInteger(count, lang)} ${rowsWord})`;
        return `${i + 1}. ${valueLabel(dimension, row[groupRef] ?? null, lang)} — ${formatMeasure(measure, row[measure.name] ?? null, lang)}${extra}`;
      });
      return [heading, ...lines].join('\n');
    }

    case 'series': {
      if (!measure || !query.series) throw new Error('a series needs a measure');
      const { dimension: seriesDimension, granularity } = query.series;
      const subject = countsRows ? capitalize(nounPhrase(noun, filters, 2, lang, undefined)) : capitalize(measureWord(measure, lang));
      if (rows.length === 0) {
        return es ? `No hay ${nounPhrase(noun, filters, 0, lang, undefined)}${when}.` : `There are no ${nounPhrase(noun, filters, 0, lang, undefined)}${when}.`;
      }
      const cut = compiled.limit !== undefined && rows.length >= compiled.limit;
      const shown = cut ? rows.slice(1) : rows; // the oldest bucket only told that there were more
      const lines = shown.map((row) => `${bucketLabel(row[seriesDimension] ?? null, granularity)}: ${formatMeasure(measure, row[measure.name] ?? null, lang)}`);
      const last = cut ? (es ? ` (últimos ${shown.length})` : ` (last ${shown.length})`) : '';
      return [`${subject} ${es ? 'por' : 'per'} ${GRANULARITY_WORDS[lang][granularity]}${when}${last}:`, ...lines].join('\n');
    }

    case 'latest': {
      const k = rows.length;
      if (k === 0) {
        return es ? `No hay ${nounPhrase(noun, filters, 0, lang, undefined)}${when}.` : `There are no ${nounPhrase(noun, filters, 0, lang, undefined)}${when}.`;
      }
      // "Pedidos más recientes" needs no article, so it agrees with any noun's gender.
      const heading = es
        ? k === 1
          ? `${capitalize(nounPhrase(noun, filters, 1, lang, undefined))} más reciente${when}:`
          : `${capitalize(nounPhrase(noun, filters, k, lang, undefined))} más recientes (${k})${when}:`
        : k === 1
          ? `The latest ${nounPhrase(noun, filters, 1, lang, undefined)}${when}:`
          : `The latest ${k} ${nounPhrase(noun, filters, k, lang, undefined)}${when}:`;
      const lines = rows.map((row) => {
        const parts: string[] = [];
        let id = '';
        for (const column of compiled.columns) {
          if (column.kind !== 'column') continue;
          const value = row[column.key] ?? null;
          if (column.column === column.model.primary_key && column.model === model) {
            id = `#${String(value)}`;
            continue;
          }
          if (value === null) continue;
          const dimension = column.model.dimensions.find((d) => d.column === column.column);
          if (dimension?.type === 'time' && typeof value === 'string') parts.push(formatDate(new Date(value), timeZone));
          else if (column.measure && typeof value === 'number') parts.push(formatMeasure(column.measure, value, lang));
          else parts.push(valueLabel(dimension, value, lang));
        }
        return `${id} ${parts.join(', ')}`.trim();
      });
      return [heading, ...lines].join('\n');
    }
  }
}
