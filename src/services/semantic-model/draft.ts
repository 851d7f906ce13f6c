/**
 * Drafts a semantic model from an introspected schema (introspect.ts): what `npm run model:init`
 * writes. Pure: the same description always gives the same draft, so every rule is testable
 * without a database.
 *
 * A draft is a starting point, not a decision: words are guessed from names, and whatever cannot
 * be guessed (the words for choice code 'P', who owns a table) is a string starting with TODO,
 * which the checker refuses until a person fills it in. Tenancy in particular fails closed: a
 * table with no foreign-key path to the tenant gets a TODO, never `shared`.
 */
import type { z } from 'zod';
import type { Category } from './database-check.js';
import type { IntrospectedColumn, IntrospectedTable, Introspection } from './introspect.js';
import type { ModelPath } from './issues.js';
import {
  IDENTIFIER,
  MAX_COLUMNS_PER_MODEL,
  MAX_DIMENSIONS_PER_MODEL,
  MAX_STRING_VALUE_CHARS,
  MAX_WORD_CHARS,
  MAX_WORD_TOKENS,
  SEMANTIC_MODEL_VERSION,
  type Granularity,
  type Language,
  type modelDefSchema,
  type Tenancy,
  type Words,
} from './schema.js';
import { wordKeys } from './words.js';

// ---------------------------------------------------------------------------------------------
// Name rules (also used by introspect.ts to decide what to read)
// ---------------------------------------------------------------------------------------------

/**
 * Tables Django and common packages create for themselves: sessions, migrations, permissions,
 * tokens. `auth_user` is kept (people ask how many users joined), its password is not.
 */
const FRAMEWORK_TABLE =
  /^(django_.*|auth_permission|auth_group|auth_group_permissions|auth_user_groups|auth_user_user_permissions|authtoken_.*|knox_.*|token_blacklist_.*|oauth2_provider_.*|social_auth_.*|celery_.*|silk_.*|axes_.*)$/;

export function isFrameworkTable(table: string): boolean {
  return FRAMEWORK_TABLE.test(table);
}

/** Matched against the column's `_`-separated parts, so `hashtag` or `tokenizer_mode` are kept. */
const SECRET_PART = /^(password|passwd|pwd|token|tokens|secret|secrets|hash|hashed|salt|otp|apikey|credential|credentials)$/;
const SECRET_PAIR = /(^|_)(api_key|private_key|secret_key|access_key|refresh_key|session_key)($|_)/;

/** Secret-looking columns are never exposed: a model's columns are all a query may read. */
export function isSecretColumn(column: string): boolean {
  return SECRET_PAIR.test(column) || column.split('_').some((part) => SECRET_PART.test(part));
}

/** Names, e-mails, descriptions: free text, worth grouping by but never a closed list. */
const FREE_TEXT =
  /(^|_)(name|names|nombre|nombres|apellido|apellidos|first_name|last_name|username|email|correo|mail|title|titulo|description|descripcion|notes?|notas?|comentarios?|comments?|address|direccion|phone|telefono|url|slug|text|texto|body|cuerpo)($|_)/;

/** Whether the draft wants a column's distinct values: text columns that are not free text. */
export function wantsValues(column: string, category: Category): boolean {
  return category === 'text' && !FREE_TEXT.test(column);
}

// ---------------------------------------------------------------------------------------------
// The draft's shape: a model file's input, except that undecided fields hold a TODO string
// ---------------------------------------------------------------------------------------------

export type Todo = `TODO: ${string}`;
type ModelDefInput = z.input<typeof modelDefSchema>;
export type DraftModelDef = Omit<ModelDefInput, 'tenancy'> & { tenancy: Tenancy | Todo };
export type DraftDocument = { version: typeof SEMANTIC_MODEL_VERSION; models: DraftModelDef[] };
/** A comment the YAML writer puts before the node at `path` (paths as in model issues). */
export type DraftComment = { path: ModelPath; text: string };
export type Draft = { document: DraftDocument; header: string[]; comments: DraftComment[] };
export type DraftOptions = { tenantColumn?: string };

const TIME_GRANULARITIES: Granularity[] = ['day', 'week', 'month', 'quarter', 'year'];

// ---------------------------------------------------------------------------------------------
// Words: guessed from names and values, in the language the name looks like
// ---------------------------------------------------------------------------------------------

/** Words that settle a name's language; anything else is guessed from its endings. */
const ENGLISH = new Set(
  'user users order orders customer customers client clients company companies account accounts product products item items invoice invoices payment payments category categories status state stage type kind amount price cost value name date created updated modified joined last login active open closed won lost pending paid draft new done shipped delivered cancelled canceled approved rejected deal deals lead leads contact contacts organization organisation tenant team project task tasks ticket tickets email quantity first staff superuser is at'.split(
    ' ',
  ),
);
const SPANISH = new Set(
  'pedido cliente empresa cuenta oportunidad organizacion factura producto estado etapa importe monto precio valor fecha creado creada cierre abierta ganada perdida pendiente pagada nombre cantidad tipo usuario proyecto tarea'.split(' '),
);

function guessLanguage(token: string, fallback: Language): Language {
  // Plurals too: `orders` is English because `order` is, `oportunidades` Spanish because of -dad.
  const forms = [token, singular(token, 'en'), singular(token, 'es')];
  if (forms.some((form) => ENGLISH.has(form))) return 'en';
  if (forms.some((form) => SPANISH.has(form) || /[ñáéíóú]/.test(form) || /(cion|sion|dad|tud|ado|ada|ido|ida|eza|ez)$/.test(form))) return 'es';
  return fallback;
}

/** Spanish plural of one word: vowel + s, -z → -ces, -ción → -ciones, other consonants + es. */
function pluralEs(word: string): string {
  if (/ión$/.test(word)) return word.replace(/ión$/, 'iones');
  if (/z$/.test(word)) return `${word.slice(0, -1)}ces`;
  if (/[aeiouáéó]$/.test(word)) return `${word}s`;
  if (/s$/.test(word)) return word;
  return `${word}es`;
}

function pluralEn(word: string): string {
  if (/[^aeiou]y$/.test(word)) return `${word.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(word)) return `${word}es`;
  return `${word}s`;
}

/** Identifiers lose their accents; the common Spanish endings get them back (organizacion → organización). */
function accentEs(word: string): string {
  return word.replace(/cion$/, 'ción').replace(/sion$/, 'sión');
}

/** `orders` → order; `oportunidades` → oportunidad. Names of Django tables are already singular. */
function singular(word: string, language: Language): string {
  if (language === 'en') {
    if (/ies$/.test(word)) return `${word.slice(0, -3)}y`;
    if (/(ss|us|is)$/.test(word)) return word;
    if (/(ches|shes|xes)$/.test(word)) return word.slice(0, -2);
    return word.endsWith('s') ? word.slice(0, -1) : word;
  }
  if (/ciones$/.test(word)) return word.slice(0, -2);
  if (/(dades|ores|ales)$/.test(word)) return word.slice(0, -2);
  // Not after i: país, maíz keep their s.
  return /[aeo]s$/.test(word) ? word.slice(0, -1) : word;
}

/** A noun phrase from an identifier: singular and plural, in the language it looks like. */
function nounWords(identifier: string, fallback: Language): { language: Language; singular: string; plural: string } {
  const tokens = identifier.split('_').filter(Boolean);
  const head = tokens[0] ?? identifier;
  const language = guessLanguage(singular(tokens.at(-1) ?? head, 'en'), guessLanguage(head, fallback));
  if (language === 'en') {
    const last = singular(tokens.at(-1) ?? head, 'en');
    const one = [...tokens.slice(0, -1), last].join(' ');
    return { language, singular: one, plural: [...tokens.slice(0, -1), pluralEn(last)].join(' ') };
  }
  // Spanish puts the noun first: línea_pedido → líneas pedido.
  const first = accentEs(singular(head, 'es'));
  return { language, singular: [first, ...tokens.slice(1)].join(' '), plural: [pluralEs(first), ...tokens.slice(1)].join(' ') };
}

/** A stored value as words, or undefined when it cannot be worded (a code such as 'P'). */
function valueWords(value: string, fallback: Language): { language: Language; words: string[] } | undefined {
  const text = value.trim().toLowerCase().replace(/[_-]+/g, ' ').replace(/\s+/g, ' ');
  const letters = text.replace(/[^\p{L}]/gu, '');
  // One- and two-letter codes ('P', 'EN') say nothing a reader would type; neither do numbers.
  if (letters.length <= 2 || text.length > MAX_WORD_CHARS || text.split(' ').length > MAX_WORD_TOKENS) return undefined;
  const tokens = text.split(' ');
  const language = guessLanguage(tokens[0] ?? text, fallback);
  // Spanish adjectives and participles agree in number (ganada → ganadas); English ones do not.
  if (language === 'es' && tokens.length === 1) return { language, words: [text, pluralEs(text)] };
  return { language, words: [text] };
}

/** One word list in one language; none when empty. */
function wordsIn(language: Language, words: string[]): Words | undefined {
  return words.length ? inLanguage(language, words) : undefined;
}

function inLanguage(language: Language, words: string[]): Words {
  return language === 'es' ? { es: words } : { en: words };
}

/** The schema's word rules: a long table name makes a phrase too long to be a word. */
function isWordShaped(word: string): boolean {
  return word.length <= MAX_WORD_CHARS && word.trim().split(/\s+/).length <= MAX_WORD_TOKENS;
}

/**
 * Words in one scope must each mean one thing (check.ts): a candidate whose comparison keys
 * already belong to another meaning is dropped here instead of failing the check later.
 */
class WordScope {
  private readonly owners = new Map<string, string>();

  constructor(parent?: WordScope) {
    if (parent) for (const [key, owner] of parent.owners) this.owners.set(key, owner);
  }

  /** The candidates `meaning` may use, claiming their keys. */
  claim(meaning: string, candidates: string[]): string[] {
    const kept: string[] = [];
    for (const word of [...new Set(candidates)]) {
      if (!isWordShaped(word)) continue;
      const keys = wordKeys(word);
      if (keys.length === 0 || keys.some((key) => (this.owners.get(key) ?? meaning) !== meaning)) continue;
      for (const key of keys) this.owners.set(key, meaning);
      kept.push(word);
    }
    return kept;
  }
}

// ---------------------------------------------------------------------------------------------
// Tenancy: the table most others reference through a tenant-like foreign key
// ---------------------------------------------------------------------------------------------

/** Tenant-like foreign keys, best first: the order breaks ties between equally referenced tables. */
const TENANT_COLUMNS = [
  'tenant_id',
  'organization_id',
  'organisation_id',
  'organizacion_id',
  'org_id',
  'company_id',
  'empresa_id',
  'workspace_id',
  'cliente_id',
  'client_id',
];

type TenantPlan = {
  /** The tenant's own table (scoped by its key), when there is one. */
  table?: string;
  /** Per table: its column holding the tenant. */
  direct: Map<string, string>;
  /** How the tenant was found, for the model comments. */
  reason: string;
};

function planTenancy(tables: IntrospectedTable[], options: DraftOptions): TenantPlan {
  const singleFks = (t: IntrospectedTable) => t.foreignKeys.filter((fk) => fk.columns.length === 1);
  if (options.tenantColumn) {
    const column = options.tenantColumn;
    const direct = new Map(tables.filter((t) => t.columns.some((c) => c.name === column)).map((t) => [t.name, column]));
    const targets = tables.flatMap((t) => singleFks(t).filter((fk) => fk.columns[0] === column).map((fk) => fk.targetTable));
    const table = mostCommon(targets);
    const reason = direct.size
      ? `--tenant-column ${column}${table ? ` (it references ${table}, whose key scopes that table)` : ''}`
      : `--tenant-column ${column}, but no drafted table has that column`;
    return { ...(table ? { table } : {}), direct, reason };
  }
  // target table → tables referencing it through a tenant-like column, and the best rank seen.
  const votes = new Map<string, { from: Set<string>; rank: number }>();
  for (const t of tables) {
    for (const fk of singleFks(t)) {
      const rank = TENANT_COLUMNS.indexOf(fk.columns[0] ?? '');
      if (rank < 0 || !tables.some((x) => x.name === fk.targetTable)) continue;
      const vote = votes.get(fk.targetTable) ?? { from: new Set<string>(), rank };
      vote.from.add(t.name);
      vote.rank = Math.min(vote.rank, rank);
      votes.set(fk.targetTable, vote);
    }
  }
  const best = [...votes.entries()].sort(([a, x], [b, y]) => y.from.size - x.from.size || x.rank - y.rank || a.localeCompare(b))[0];
  if (!best) return { direct: new Map(), reason: 'no tenant-like foreign key found' };
  const [table, vote] = best;
  const direct = new Map<string, string>();
  for (const t of tables) {
    const toTenant = singleFks(t).filter((fk) => fk.targetTable === table);
    // A table may reference the tenant twice (owner, buyer): prefer the tenant-like column.
    const chosen = toTenant.find((fk) => TENANT_COLUMNS.includes(fk.columns[0] ?? '')) ?? toTenant[0];
    if (chosen?.columns[0] && t.name !== table) direct.set(t.name, chosen.columns[0]);
  }
  const n = vote.from.size;
  return { table, direct, reason: `${table} is the tenant: ${n === 1 ? '1 table references' : `${n} tables reference`} it through a tenant-like key` };
}

function mostCommon(items: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts.entries()].sort(([a, x], [b, y]) => y - x || a.localeCompare(b))[0]?.[0];
}

// ---------------------------------------------------------------------------------------------
// Columns
// ---------------------------------------------------------------------------------------------

/** Amount-like numeric columns get a sum; matched against the name's `_`-separated parts. */
const AMOUNT_PART =
  /^(total|subtotal|importe|monto|amount|valor|value|precio|price|coste|costo|cost|saldo|balance|revenue|ingresos?|pago|payment|descuento|discount|impuesto|tax|iva|neto|bruto|net|gross|fee|tarifa)$/;
const QUANTITY_PART = /^(cantidad|quantity|qty|unidades|units)$/;
/** Rates and percentages are not amounts: summing a discount percentage means nothing. */
const RATIO_PART = /^(pct|percent|percentage|porcentaje|porc|rate|tasa|ratio|factor)$/;
const CURRENCY = /(total|importe|monto|amount|valor|value|precio|price|cost|saldo|balance|revenue|ingreso|pago|payment|descuento|discount|impuesto|tax|iva|neto|bruto|net|gross|fee|tarifa)/;

function isNumeric(column: IntrospectedColumn): boolean {
  return column.category === 'integer' || column.category === 'decimal';
}

function isTime(column: IntrospectedColumn): boolean {
  return column.category === 'date' || column.category === 'timestamp';
}

/** Which time column "this month" and "latest" mean: creation first, then dates of the business. */
const PRIMARY_TIME = [
  /^(created_at|created|creado|creada|creado_en|creada_en|fecha_creacion|fecha_alta|date_created|date_joined|fecha)$/,
  /^(creado|creada|created|alta)/,
  /^fecha/,
  /^(date|.*_date)$/,
];
const NEVER_PRIMARY = /(updated|modified|modificado|actualizado|deleted|borrado|last_login|ultimo_acceso)/;

function primaryTimeColumn(columns: IntrospectedColumn[]): IntrospectedColumn | undefined {
  const times = columns.filter(isTime);
  for (const pattern of PRIMARY_TIME) {
    const found = times.find((c) => pattern.test(c.name) && !NEVER_PRIMARY.test(c.name));
    if (found) return found;
  }
  return times.length === 1 ? times[0] : undefined;
}

// ---------------------------------------------------------------------------------------------
// The draft
// ---------------------------------------------------------------------------------------------

export function draftSemanticModel(introspection: Introspection, options: DraftOptions = {}): Draft {
  const tables = introspection.tables;
  const comments: DraftComment[] = [];
  const comment = (path: ModelPath, text: string) => comments.push({ path, text });

  const names = modelNames(tables.map((t) => t.name), introspection.schemaTables);
  const projectLanguage = majorityLanguage(tables.map((t) => names.get(t.name) ?? t.name));
  const plan = planTenancy(tables, options);

  // Model words first, in one scope: every model's words are in every model's scope.
  const modelScope = new WordScope();
  const nouns = new Map(tables.map((t) => [t.name, nounWords(names.get(t.name) ?? t.name, projectLanguage)]));
  const modelWords = new Map(
    tables.map((t) => {
      const noun = nouns.get(t.name);
      const kept = noun ? modelScope.claim(`model/${t.name}`, [noun.singular, noun.plural]) : [];
      return [t.name, noun && kept.length ? wordsIn(noun.language, kept) : undefined] as const;
    }),
  );

  // Tenancy columns first: a via join needs its target's decision.
  const tenancyColumn = new Map<string, string>();
  for (const t of tables) {
    if (t.name === plan.table && t.primaryKey.length === 1 && t.primaryKey[0]) tenancyColumn.set(t.name, t.primaryKey[0]);
    const direct = plan.direct.get(t.name);
    if (direct && !isSecretColumn(direct)) tenancyColumn.set(t.name, direct);
  }

  const models = tables.map((table, index): DraftModelDef => {
    const base: ModelPath = ['models', index];
    const name = names.get(table.name) ?? table.name;
    const noun = nouns.get(table.name) ?? nounWords(name, projectLanguage);
    const language = noun.language;
    const notes: string[] = [];

    // Columns: everything a query may read, minus secrets.
    const hidden = table.columns.filter((c) => isSecretColumn(c.name) || !IDENTIFIER.test(c.name));
    let exposed = table.columns.filter((c) => !hidden.includes(c));
    if (hidden.length) notes.push(`not exposed (secret-looking or not an identifier): ${hidden.map((c) => c.name).join(', ')}`);
    if (exposed.length > MAX_COLUMNS_PER_MODEL) {
      notes.push(`only the first ${MAX_COLUMNS_PER_MODEL} of ${exposed.length} columns are listed (the schema's cap)`);
      exposed = exposed.slice(0, MAX_COLUMNS_PER_MODEL);
    }
    const exposedNames = new Set(exposed.map((c) => c.name));

    // Primary key.
    const pk = table.primaryKey.length === 1 && table.primaryKey[0] && exposedNames.has(table.primaryKey[0]) ? table.primaryKey[0] : undefined;
    const primaryKey: string =
      pk ??
      (table.primaryKey.length > 1
        ? `TODO: primary key (the table's key has several columns: ${table.primaryKey.join(', ')}; name one unique column)`
        : 'TODO: primary key (the table has none; name a unique column)');

    // Joins: single-column foreign keys to a drafted table's primary key.
    const joins: { name: string; model: string; foreign_key: string }[] = [];
    const keyColumns = new Set([...table.primaryKey]);
    for (const fk of table.foreignKeys) {
      for (const column of fk.columns) keyColumns.add(column);
      const column = fk.columns[0];
      const target = tables.find((t) => t.name === fk.targetTable && t.schema === fk.targetSchema);
      if (fk.columns.length !== 1) {
        // A join is one column (schema.ts): a composite key needs a person to decide.
        notes.push(`composite foreign key (${fk.columns.join(', ')}) to ${fk.targetTable}: no join`);
        continue;
      }
      if (!column || !exposedNames.has(column)) continue;
      if (!target) {
        notes.push(`${column} references ${fk.targetSchema}.${fk.targetTable}, which is not drafted: no join`);
        continue;
      }
      if (target.primaryKey.length !== 1 || target.primaryKey[0] !== fk.targetColumns[0]) {
        notes.push(`${column} references ${fk.targetTable}.${fk.targetColumns.join(', ')}, not its primary key: no join`);
        continue;
      }
      let joinName = column.replace(/_id$/, '');
      if (!IDENTIFIER.test(joinName) || joins.some((j) => j.name === joinName)) joinName = column;
      joins.push({ name: joinName, model: names.get(target.name) ?? target.name, foreign_key: column });
    }

    // Tenancy.
    let tenancy: Tenancy | Todo;
    const own = tenancyColumn.get(table.name);
    if (own) {
      tenancy = { column: own };
      notes.push(
        table.name === plan.table
          ? "the tenant's own table: each tenant sees its own row, so its key is the tenancy column"
          : `tenancy: ${own}${plan.table ? ` references the tenant ${plan.table}` : ` (${plan.reason})`}`,
      );
    } else {
      const via = joins.filter((j) => {
        const target = tables.find((t) => (names.get(t.name) ?? t.name) === j.model);
        return target !== undefined && tenancyColumn.has(target.name);
      });
      const first = via[0];
      if (first) {
        tenancy = { via: first.name };
        notes.push(`tenancy through the join ${first.name}${via.length > 1 ? ` (also possible: ${via.slice(1).map((j) => j.name).join(', ')})` : ''}`);
      } else {
        tenancy = plan.table
          ? `TODO: tenancy (no foreign key path to the tenant ${plan.table}; declare column: C, via: JOIN, or shared: true if every tenant may see every row)`
          : options.tenantColumn
            ? `TODO: tenancy (no column ${options.tenantColumn} and no join to a table with it; declare column: C, via: JOIN or shared: true)`
            : 'TODO: tenancy (no tenant-like key such as empresa_id or company_id found; declare column: C, via: JOIN or shared: true, or rerun with --tenant-column)';
      }
    }

    // Members share one word scope: every model's words plus this model's own.
    const scope = new WordScope(modelScope);
    const measures: DraftModelDef['measures'] = [];
    const dimensions: NonNullable<DraftModelDef['dimensions']> = [];
    const memberNames = new Set<string>();
    const uniqueName = (wanted: string, suffix: string) => {
      const chosen = memberNames.has(wanted) ? `${wanted}_${suffix}` : wanted;
      memberNames.add(chosen);
      return chosen;
    };

    // Dimensions: time columns, then text columns (with values when they look like choices).
    const primary = primaryTimeColumn(exposed);
    const times = exposed.filter(isTime);
    if (times.length > 1 && !primary) notes.push(`several date columns (${times.map((c) => c.name).join(', ')}): mark the one "this month" means primary: true`);
    for (const column of times) {
      const dimWords = scope.claim(`dimension/${column.name}`, [column.name.replace(/_at$/, '').replace(/_/g, ' ')]);
      const words = wordsIn(guessLanguage(column.name.split('_')[0] ?? column.name, language), dimWords);
      dimensions.push({
        name: uniqueName(column.name, 'time'),
        column: column.name,
        type: 'time',
        granularities: [...TIME_GRANULARITIES],
        ...(column.dataType === 'date' ? { column_type: 'date' } : column.dataType === 'timestamp without time zone' ? { column_type: 'timestamp' } : {}),
        ...(column === primary ? { primary: true } : {}),
        ...(words ? { words } : {}),
      });
    }
    for (const column of exposed) {
      if (keyColumns.has(column.name) || (column.category !== 'text' && column.category !== 'enum')) continue;
      if (dimensions.length >= MAX_DIMENSIONS_PER_MODEL) break;
      const path = [...base, 'dimensions', dimensions.length];
      const dimWords = wordsIn(language, scope.claim(`dimension/${column.name}`, [column.name.replace(/_/g, ' ')]));
      const stored = storedValues(column, introspection.valueThreshold);
      const dimension: NonNullable<DraftModelDef['dimensions']>[number] = {
        name: uniqueName(column.name, 'dim'),
        column: column.name,
        type: 'categorical',
        ...(dimWords ? { words: dimWords } : {}),
      };
      if (stored.values.length) {
        dimension.values = stored.values.map((value) => {
          const drafted = valueWords(value, language);
          const kept = drafted ? scope.claim(`value/${column.name}/${value}`, drafted.words) : [];
          const words: Words =
            drafted && kept.length
              ? (wordsIn(drafted.language, kept) ?? inLanguage(language, [`TODO: words for value ${value}`]))
              : inLanguage(language, [drafted ? `TODO: words for value ${value} (its own words mean something else here)` : `TODO: words for value ${value}`]);
          return { value, words };
        });
      }
      dimensions.push(dimension);
      if (stored.note) comment(path, stored.note);
    }

    // Measures: a count for every table, a sum for each amount-like number.
    const plural = noun.plural.replace(/ /g, '_').normalize('NFD').replace(/\p{M}+/gu, '');
    const countName = uniqueName(IDENTIFIER.test(plural) ? plural : 'count', 'count');
    const countWords =
      language === 'es' ? [`número de ${noun.plural}`, `cantidad de ${noun.plural}`] : [`number of ${noun.plural}`, `count of ${noun.plural}`];
    measures.push({
      name: countName,
      type: 'count',
      format: 'integer',
      words: wordsIn(language, scope.claim(`measure/${countName}`, countWords)) ?? inLanguage(language, [`TODO: words for the count of ${noun.plural}`]),
    });
    for (const column of exposed) {
      if (keyColumns.has(column.name) || !isNumeric(column)) continue;
      const parts = column.name.split('_');
      const amount = parts.some((p) => AMOUNT_PART.test(p));
      if ((!amount && !parts.some((p) => QUANTITY_PART.test(p))) || parts.some((p) => RATIO_PART.test(p))) continue;
      const measureName = uniqueName(column.name, 'sum');
      const columnLanguage = guessLanguage(parts[0] ?? column.name, language);
      const spaced = column.name.replace(/_/g, ' ');
      const candidates = columnLanguage === 'es' ? [spaced, `${spaced} de ${noun.plural}`] : [spaced, `${noun.singular} ${spaced}`];
      measures.push({
        name: measureName,
        type: 'sum',
        column: column.name,
        format: amount && CURRENCY.test(column.name) ? 'currency' : 'number',
        words:
          wordsIn(columnLanguage, scope.claim(`measure/${measureName}`, candidates)) ??
          inLanguage(columnLanguage, [`TODO: words for the sum of ${column.name}`]),
      });
    }

    if (notes.length) comment(base, notes.join('\n'));
    return {
      name,
      table: `${table.schema}.${table.name}`,
      primary_key: primaryKey,
      words:
        modelWords.get(table.name) ??
        inLanguage(language, [
          `TODO: words for ${table.name} (${isWordShaped(noun.plural) ? 'its drafted words name another model' : 'its name is too long to be a word'})`,
        ]),
      tenancy,
      columns: exposed.map((c) => c.name),
      ...(dimensions.length ? { dimensions } : {}),
      measures,
      // Left out when empty, as in hand-written models (the schema defaults it).
      ...(joins.length ? { joins } : {}),
    };
  });

  const header = [
    `Drafted by npm run model:init from schema ${introspection.schema}: a starting point, not a decision.`,
    'Every value starting with TODO is left for you to decide; npm run model:check -- FILE fails until each is filled in.',
    'Words were guessed from table, column and value names: add the ones people really use.',
    `Categorical values were read with SELECT DISTINCT … LIMIT ${introspection.valueThreshold + 1}: a text column with at most`,
    `${introspection.valueThreshold} distinct values that repeat lists them. Django choices labels live in models.py, not`,
    'in the database: copy them into the values\' words and labels.',
    `Tenancy: ${plan.reason}.`,
    ...(introspection.skippedTables.length ? [`Skipped tables: ${introspection.skippedTables.map((s) => `${s.name} (${s.reason})`).join(', ')}.`] : []),
  ];
  return { document: { version: SEMANTIC_MODEL_VERSION, models }, header, comments };
}

/** The values a categorical dimension lists, and why it lists none when it does not. */
function storedValues(column: IntrospectedColumn, threshold: number): { values: string[]; note?: string } {
  if (column.enumValues) return { values: column.enumValues.filter(usable), note: `values: the labels of enum type ${column.udtName}` };
  const read = column.values;
  if (!read) return { values: [], note: 'free text: no values listed' };
  switch (read.kind) {
    case 'many':
      return { values: [], note: `free text: more than ${threshold} distinct values` };
    case 'unread':
      return { values: [], note: `values not read (${read.reason}): list them by hand if this is a choices field` };
    case 'values': {
      if (read.values.length === 0) return { values: [], note: 'no rows to read values from: list them by hand if this is a choices field' };
      if (!read.repeats) return { values: [], note: `free text: its ${read.values.length} values are all different (too few rows to tell choices)` };
      const values = read.values.filter(usable);
      return {
        values,
        note: `values read from the data (${values.length} distinct): Django choices labels are not in the database, add them from models.py`,
      };
    }
  }
}

function usable(value: string): boolean {
  return value.length > 0 && value.length <= MAX_STRING_VALUE_CHARS;
}

/**
 * Model names: the table name without its Django app prefix (`ventas_pedido` → pedido). A
 * prefix counts as an app when at least two tables of the schema share it, and is kept when
 * dropping it would make two models share a name.
 */
function modelNames(tables: string[], schemaTables: string[]): Map<string, string> {
  const prefixCount = new Map<string, number>();
  for (const table of new Set([...schemaTables, ...tables])) {
    const prefix = table.split('_')[0];
    if (prefix && table.includes('_')) prefixCount.set(prefix, (prefixCount.get(prefix) ?? 0) + 1);
  }
  const stripped = new Map<string, string>();
  for (const table of tables) {
    const cut = table.indexOf('_');
    const rest = cut > 0 ? table.slice(cut + 1) : '';
    // auth_user: Django's user table keeps the app name out, like any app's model.
    const isApp = (prefixCount.get(table.slice(0, cut)) ?? 0) >= 2 || table === 'auth_user';
    stripped.set(table, cut > 0 && isApp && IDENTIFIER.test(rest) ? rest : table);
  }
  const taken = new Map<string, number>();
  for (const name of stripped.values()) taken.set(name, (taken.get(name) ?? 0) + 1);
  return new Map(tables.map((table) => [table, (taken.get(stripped.get(table) ?? table) ?? 0) > 1 ? table : (stripped.get(table) ?? table)]));
}

function majorityLanguage(names: string[]): Language {
  let es = 0;
  let en = 0;
  for (const name of names) {
    for (const token of name.split('_')) {
      if (ENGLISH.has(token) || ENGLISH.has(singular(token, 'en'))) en++;
      else if (guessLanguage(singular(token, 'es'), 'en') === 'es') es++;
    }
  }
  return en > es ? 'en' : 'es';
}
