/**
 * The matcher's vocabulary: every word of a semantic model (models, measures, dimensions, values,
 * in es and en) plus the built-in grammar (interrogatives, shapes, granularities, fillers), compiled
 * once into a token trie, and the scanner that turns a question into a list of meanings.
 *
 * Words compare as the checker compares them (words.ts): case, accents and the simple plural rule
 * do not matter. Both sides are expanded: a model word is inserted under each of its keys and a
 * question token is looked up under each of its singular forms, so "órdenes" finds "orden" and
 * "pedido" finds "pedidos".
 *
 * No Node APIs: this runs on every request, on Workers too.
 */
import { extractWindows, parseNumber } from './time-windows.js';
import { LANGUAGES, type Granularity, type Language, type SemanticModel, type StoredValue, type TimeWindow, type Words } from './schema.js';
import { normalizeWords, singularForms, wordKeys } from './words.js';

export type Meaning =
  | { kind: 'model'; model: string }
  | { kind: 'measure'; model: string; measure: string }
  | { kind: 'dimension'; model: string; dimension: string }
  | { kind: 'value'; model: string; dimension: string; value: StoredValue }
  /** "cuántos", "how many": the model's count measure. */
  | { kind: 'count' }
  /** "cuánto", "how much": the model's sum measure, when it has one only. */
  | { kind: 'amount' }
  | { kind: 'latest' }
  /** A ranking: "top 5", "los mejores" (largest first) or "los 5 peores", "bottom 5" (smallest first). */
  | { kind: 'top'; order: 'asc' | 'desc' }
  /** "por", "by", "per", "en cada": what follows is a breakdown, a series or a ranking measure. */
  | { kind: 'by' }
  /** "resumen", "breakdown": a dimension word next to it is a breakdown. */
  | { kind: 'groupNoun' }
  | { kind: 'granularity'; granularity: Granularity; adverb: boolean }
  /** "muéstrame", "what are the": a listing request, never a bare count. */
  | { kind: 'list' }
  | { kind: 'filler' }
  /** "órdenes que están pendientes": "que" is glue only right after a model noun. */
  | { kind: 'relativeQue' }
  /** Phrases whose words are known but whose meaning is not ours ("we received", "open the"). */
  | { kind: 'refuse' };

/** One position of a scanned question. */
export type Item =
  | { kind: 'word'; meanings: readonly Meaning[]; singular: boolean; language?: Language }
  | { kind: 'number'; value: number };

export type Scan = { items: Item[]; windows: TimeWindow[] };

/** `language`: the list the word came from (model words only; grammar is both). */
type Entry = { meaning: Meaning; exact: boolean; language?: Language };
type TrieNode = { children: Map<string, TrieNode>; entries: Entry[] };

const newNode = (): TrieNode => ({ children: new Map(), entries: [] });

// ---------------------------------------------------------------------------------------------
// Built-in grammar (normalised phrases). Deliberately absent, so that they make a question fall
// back to the language model: que, what, how, why, por qué, no/not, más, desde/since, entre/between,
// explícame, significa, and every time phrase the windows cannot represent.
// ---------------------------------------------------------------------------------------------

const GRANULARITY_WORDS: ReadonlyArray<readonly [Granularity, string, string]> = [
  ['hour', 'hora horas hour hours', 'hourly'],
  ['day', 'dia dias day days', 'diario diaria diarios diarias daily'],
  ['week', 'semana semanas week weeks', 'semanal semanales weekly'],
  ['month', 'mes meses month months', 'mensual mensuales monthly'],
  ['quarter', 'trimestre trimestres quarter quarters', 'trimestral trimestrales quarterly'],
  ['year', 'ano anos year years', 'anual anuales yearly annual'],
];

const GRAMMAR: ReadonlyArray<readonly [Meaning, readonly string[]]> = [
  [
    { kind: 'count' },
    [
      'cuantos', 'cuantas', 'numero de', 'cantidad de', 'numero total de', 'cantidad total de', 'total number of',
      'total count of', 'how many', 'number of', 'count', 'count of', 'conteo', 'recuento', 'contar',
    ],
  ],
  // "total de pedidos" asks for the sum measure whether or not the model lists "total" (longer
  // phrases keep "número total de" a count and "en total" a filler).
  [{ kind: 'amount' }, ['cuanto', 'cuanta', 'how much', 'total', 'suma', 'sum']],
  [
    { kind: 'latest' },
    [
      'ultimos', 'ultimas', 'ultimo', 'ultima', 'latest', 'last', 'newest', 'recent', 'recientes', 'reciente',
      'mas recientes', 'mas reciente', 'mas nuevos', 'mas nuevas', 'most recent', 'more recent',
    ],
  ],
  [
    { kind: 'top', order: 'desc' },
    [
      'top', 'mejores', 'mejor', 'principales', 'mayores', 'best', 'biggest', 'largest', 'mas importantes', 'most valuable',
      'que mas compran', 'que mas compraron', 'que mas gastan', 'que mas gastaron', 'que mas han comprado',
      'who spent the most', 'who spend the most', 'who bought the most', 'that spent the most', 'highest spending',
    ],
  ],
  [
    { kind: 'top', order: 'asc' },
    ['bottom', 'peores', 'peor', 'worst', 'smallest', 'que menos compran', 'que menos compraron', 'que menos gastan', 'que menos gastaron'],
  ],
  [
    { kind: 'by' },
    ['por', 'by', 'per', 'segun', 'for each', 'for every', 'in each', 'en cada', 'por cada', 'de cada', 'each', 'cada'],
  ],
  [{ kind: 'groupNoun' }, ['resumen', 'desglose', 'distribucion', 'reparto', 'breakdown', 'summary', 'distribution']],
  [
    { kind: 'list' },
    [
      'show', 'muestrame', 'muestra', 'mostrar', 'dame', 'dime', 'lista', 'listar', 'listame', 'listado', 'enumera', 'ver',
      'trae', 'traeme', 'ensename', 'cual', 'cuales', 'list', 'give', 'get', 'display', 'fetch', 'see', 'view', 'tell',
      'which', 'what is the', 'what are the', 'what s the', 'whats the', 'what was the', 'what were the', 'what is our',
    ],
  ],
  [{ kind: 'relativeQue' }, ['que']],
  [
    { kind: 'refuse' },
    [
      // "received" by us means incoming orders, not a "received" status value.
      'we received', 'have we received', 'did we receive', 'we receive', 'hemos recibido', 'recibimos',
      // "open the orders" is an imperative, not the "open" status.
      'open the', 'open all', 'open my',
    ],
  ],
  [
    { kind: 'filler' },
    (
      // Spanish
      'el la los las lo un una unos unas de del al a en para con y o u hay habia hubo han ha hemos he tenemos ' +
      'tengo tiene tienen tuvimos existen existe son es fue fueron sido ser estan esta este estas estos se me nos ' +
      'mi mis nuestro nuestra nuestros nuestras todas todos toda todo actualmente ahora aun todavia ya quedan queda ' +
      'puedes podrias podria puede decir decirme dar darme indicar indicame saber quiero necesito conocer ' +
      'registradas registrados creadas creados realizadas realizados hechas hechos nuevas nuevos sistema su sus ' +
      // English
      'the an of in on for during from at to there are is was were be been being have has had do does did we i you ' +
      'me us our my all currently now still please can could would will know want like d s that it any yet ' +
      'placed created made new recorded registered exist got their with or and'
    )
      .split(' ')
      .concat([
        'por favor', 'en total', 'in total', 'en su totalidad', 'right now', 'ahora mismo', 'so far', 'i d like',
        'i would like', 'quienes son', 'quien es', 'quien fue', 'who are', 'who is', 'who were', 'do we have',
      ]),
  ],
];

/** Windows the chat matcher's rules do not know yet: quarter and year. */
const EXTRA_WINDOWS: ReadonlyArray<readonly [RegExp, TimeWindow]> = [
  [/(?<![\p{L}\p{N}])(?:en lo que va del trimestre|trimestre actual|current quarter|este trimestre|this quarter)(?![\p{L}\p{N}])/gu, { kind: 'this_quarter' }],
  [/(?<![\p{L}\p{N}])(?:en lo que va del ano|ano actual|current year|este ano|this year)(?![\p{L}\p{N}])/gu, { kind: 'this_year' }],
];

// ---------------------------------------------------------------------------------------------
// Compilation
// ---------------------------------------------------------------------------------------------

export interface Vocabulary {
  /** The question's meanings in order, or null when a word is unknown, refused or out of range. */
  scan(normalized: string): Scan | null;
}

export function compileVocabulary(project: SemanticModel): Vocabulary {
  const root = newNode();

  const insert = (word: string, meaning: Meaning, language?: Language) => {
    const exactKey = normalizeWords(word);
    for (const key of wordKeys(word)) {
      let node = root;
      for (const token of key.split(' ')) {
        let next = node.children.get(token);
        if (!next) node.children.set(token, (next = newNode()));
        node = next;
      }
      // "exact": the question can spell this key as the word was written, which wins over a key
      // only reached through the plural rule ("cuánto" is an amount; "cuántos" → "cuanto" a count).
      node.entries.push(language ? { meaning, exact: key === exactKey, language } : { meaning, exact: key === exactKey });
    }
  };
  const insertWords = (words: Words | undefined, meaning: Meaning) => {
    for (const language of LANGUAGES) for (const word of words?.[language] ?? []) insert(word, meaning, language);
  };

  for (const [meaning, phrases] of GRAMMAR) for (const p of phrases) insert(p, meaning);
  for (const [granularity, nouns, adverbs] of GRANULARITY_WORDS) {
    for (const w of nouns.split(' ')) insert(w, { kind: 'granularity', granularity, adverb: false });
    for (const w of adverbs.split(' ')) insert(w, { kind: 'granularity', granularity, adverb: true });
  }
  for (const model of project.models) {
    insertWords(model.words, { kind: 'model', model: model.name });
    for (const measure of model.measures) insertWords(measure.words, { kind: 'measure', model: model.name, measure: measure.name });
    for (const dimension of model.dimensions) {
      insertWords(dimension.words, { kind: 'dimension', model: model.name, dimension: dimension.name });
      if (dimension.type !== 'categorical') continue;
      for (const v of dimension.values ?? []) {
        insertWords(v.words, { kind: 'value', model: model.name, dimension: dimension.name, value: v.value });
      }
    }
  }

  /** Longest phrase starting at `start`; at equal length, a path spelled exactly wins. */
  const longest = (tokens: string[], start: number): { end: number; exact: boolean; node: TrieNode } | null => {
    let best: { end: number; exact: boolean; node: TrieNode } | null = null;
    const walk = (node: TrieNode, i: number, exact: boolean) => {
      if (i > start && node.entries.length > 0) {
        if (!best || i > best.end || (i === best.end && exact && !best.exact)) best = { end: i, exact, node };
      }
      const token = tokens[i];
      if (token === undefined) return;
      const forms = singularForms(token);
      for (let f = 0; f < forms.length; f++) {
        const child = node.children.get(forms[f] as string);
        if (child) walk(child, i + 1, exact && f === 0);
      }
    };
    walk(root, start, true);
    return best;
  };

  return {
    scan(normalized: string): Scan | null {
      const extracted = extractWindows(normalized);
      if (extracted.invalid) return null;
      const windows: TimeWindow[] = [...extracted.windows];
      let text = extracted.text;
      for (const [re, window] of EXTRA_WINDOWS) {
        text = text.replace(re, () => {
          windows.push(window);
          return ' _ ';
        });
      }
      const tokens = text.split(' ').filter((t) => t !== '' && t !== '_');
      const items: Item[] = [];
      for (let i = 0; i < tokens.length; ) {
        const found = longest(tokens, i);
        if (found) {
          const entries = found.exact && found.node.entries.some((e) => e.exact) ? found.node.entries.filter((e) => e.exact) : found.node.entries;
          const meanings = entries.map((e) => e.meaning);
          if (meanings.some((m) => m.kind === 'refuse')) return null;
          const last = tokens[found.end - 1] as string;
          const item: Item = { kind: 'word', meanings, singular: !last.endsWith('s') };
          // A model word listed under one language only ("invoices", "facturas") tells the language
          // better than a general word list can.
          const languages = new Set(entries.map((e) => e.language));
          const [language] = languages;
          if (languages.size === 1 && language) item.language = language;
          items.push(item);
          i = found.end;
          continue;
        }
        const n = parseNumber(tokens[i] as string);
        if (n === undefined) return null; // an unknown word: not confident, the language model answers
        items.push({ kind: 'number', value: n });
        i += 1;
      }
      return { items, windows };
    },
  };
}
