/**
 * The semantic model of a project: what its PostgreSQL data means, declared in one YAML or JSON
 * file (see models/README.md). This zod schema is the single source of truth: the TypeScript
 * types below are inferred from it and the editors' JSON Schema (schemas/semantic-model.schema.json)
 * is generated from it. Cross-references (a measure's column is exposed, a filter value is one of
 * the dimension's values, ...) are checked by check.ts, which needs the whole model at once.
 *
 * No Node APIs here: the service validates and loads models on Cloudflare Workers too.
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Bounds. A project's model is held in memory by every request that answers from it, so its
// size is capped; the caps are generous for hand-written models of a business app.
// ---------------------------------------------------------------------------------------------

/** Largest model file accepted, in UTF-8 bytes (checked by the parser before parsing). */
export const MAX_MODEL_FILE_BYTES = 256 * 1024;
export const MAX_MODELS = 100;
export const MAX_COLUMNS_PER_MODEL = 300;
export const MAX_MEASURES_PER_MODEL = 100;
export const MAX_DIMENSIONS_PER_MODEL = 100;
export const MAX_JOINS_PER_MODEL = 50;
export const MAX_VALUES_PER_DIMENSION = 500;
export const MAX_WORDS_PER_LANGUAGE = 50;
export const MAX_WORD_CHARS = 60;
/** Words are short phrases ("how many", "número de pedidos"), never sentences. */
export const MAX_WORD_TOKENS = 6;
export const MAX_LABEL_CHARS = 120;
export const MAX_DESCRIPTION_CHARS = 1_000;
export const MAX_FILTERS = 10;
export const MAX_FILTER_VALUES = MAX_VALUES_PER_DIMENSION;
export const MAX_EXAMPLES = 500;
export const MAX_QUESTION_CHARS = 300;
export const MAX_STRING_VALUE_CHARS = 200;
/** PostgreSQL truncates identifiers to NAMEDATALEN - 1 = 63 bytes. */
export const MAX_IDENTIFIER_CHARS = 63;

/** Rows a query may return (top N, latest N): answers are read by people. */
export const MAX_QUERY_LIMIT = 50;
/** Longest "last N days" window: ten years. */
export const MAX_WINDOW_DAYS = 3650;

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

const IDENTIFIER_SOURCE = '[a-z_][a-z0-9_]*';
/**
 * Lower-case unquoted PostgreSQL identifiers only: they are what Django generates, and they need
 * no quoting rules anywhere (SQL, tool names, group_by references).
 */
export const IDENTIFIER = new RegExp(`^${IDENTIFIER_SOURCE}$`);

export const identifierSchema = z
  .string()
  .max(MAX_IDENTIFIER_CHARS, { error: `at most ${MAX_IDENTIFIER_CHARS} characters (PostgreSQL's identifier limit)` })
  .regex(IDENTIFIER, { error: 'must be an identifier: lower-case letters, digits and _, not starting with a digit' });

/** Schemas that hold PostgreSQL's own catalogs, never a project's data. */
const SYSTEM_SCHEMA = /^(pg_.*|information_schema)$/;

const tableSchema = z
  .string()
  .max(2 * MAX_IDENTIFIER_CHARS + 1)
  .regex(new RegExp(`^(?:${IDENTIFIER_SOURCE}\\.)?${IDENTIFIER_SOURCE}$`), {
    error: 'must be a table or view name, optionally schema-qualified: schema.table (lower-case identifiers)',
  })
  .refine((table) => !SYSTEM_SCHEMA.test(splitTableName(table).schema), {
    error: 'system catalogs (pg_*, information_schema) cannot be models',
  })
  .meta({ description: 'Table or view, optionally schema-qualified (default schema: public), e.g. public.ventas_pedido' });

/** `ventas_pedido` → { schema: 'public', table: 'ventas_pedido' }. */
export function splitTableName(qualified: string): { schema: string; table: string } {
  const dot = qualified.indexOf('.');
  return dot < 0 ? { schema: 'public', table: qualified } : { schema: qualified.slice(0, dot), table: qualified.slice(dot + 1) };
}

/** A dimension of the model itself (`estado`) or of a model reached through one join (`cliente.nombre`). */
const dimensionRefSchema = z
  .string()
  .max(2 * MAX_IDENTIFIER_CHARS + 1)
  .regex(new RegExp(`^(?:${IDENTIFIER_SOURCE}\\.)?${IDENTIFIER_SOURCE}$`), {
    error: 'must name a dimension: "dimension" or "join.dimension"',
  });

// ---------------------------------------------------------------------------------------------
// Words and labels
// ---------------------------------------------------------------------------------------------

export const LANGUAGES = ['es', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

const wordSchema = z
  .string()
  .min(1)
  .max(MAX_WORD_CHARS)
  // Unicode classes are checked here rather than as a JSON Schema pattern: editors' regex engines
  // do not all support \p{...}.
  .refine((word) => /[\p{L}\p{N}]/u.test(word), { error: 'a word needs at least one letter or digit' })
  .refine((word) => word.trim().split(/\s+/).length <= MAX_WORD_TOKENS, {
    error: `a word is a short phrase of at most ${MAX_WORD_TOKENS} words`,
  });

const wordListSchema = z.array(wordSchema).min(1).max(MAX_WORDS_PER_LANGUAGE);

/** Synonyms per language: what people call this thing in their questions. */
export const wordsSchema = z
  .strictObject({
    es: wordListSchema.optional().meta({ description: 'Spanish words and short phrases, singular and plural' }),
    en: wordListSchema.optional().meta({ description: 'English words and short phrases, singular and plural' }),
  })
  .refine((words) => (words.es?.length ?? 0) + (words.en?.length ?? 0) > 0, {
    error: 'give at least one word (es or en)',
  })
  .meta({ id: 'Words', description: 'Synonyms per language, e.g. { es: [pedido, pedidos], en: [order, orders] }' });

export const labelSchema = z
  .strictObject({
    es: z.string().min(1).max(MAX_LABEL_CHARS).optional(),
    en: z.string().min(1).max(MAX_LABEL_CHARS).optional(),
  })
  .meta({ id: 'Label', description: 'Display label per language' });

// ---------------------------------------------------------------------------------------------
// Dimensions
// ---------------------------------------------------------------------------------------------

/** A stored value: Django choices store codes ('P'), integers (1) or booleans. */
export const storedValueSchema = z
  .union([z.string().min(1).max(MAX_STRING_VALUE_CHARS), z.number(), z.boolean()], {
    error: 'a stored value is a string, a number or a boolean',
  })
  .meta({ id: 'StoredValue' });

export const dimensionValueSchema = z.strictObject({
  value: storedValueSchema.meta({ description: 'The value as stored in the column, e.g. the choice code P' }),
  words: wordsSchema,
  label: labelSchema.optional(),
});

export const GRANULARITIES = ['hour', 'day', 'week', 'month', 'quarter', 'year'] as const;
export const granularitySchema = z.enum(GRANULARITIES);

const dimensionCommon = {
  name: identifierSchema.meta({ description: 'Identifier used in queries (filters, group_by)' }),
  column: identifierSchema.meta({ description: "The model's column; must be listed in the model's columns" }),
  words: wordsSchema.optional(),
  label: labelSchema.optional(),
  description: z.string().max(MAX_DESCRIPTION_CHARS).optional(),
};

export const categoricalDimensionSchema = z.strictObject({
  ...dimensionCommon,
  type: z.literal('categorical'),
  values: z
    .array(dimensionValueSchema)
    .min(1)
    .max(MAX_VALUES_PER_DIMENSION)
    .optional()
    .meta({ description: 'The closed set of stored values and their words; omit for free text such as names' }),
});

export const timeDimensionSchema = z.strictObject({
  ...dimensionCommon,
  type: z.literal('time'),
  granularities: z.array(granularitySchema).min(1).meta({ description: 'Granularities a series may use' }),
  column_type: z
    .enum(['timestamptz', 'timestamp', 'date'])
    .optional()
    .meta({
      description:
        "How the column stores time: timestamptz (default, an instant), timestamp (local time in APP_TIMEZONE, e.g. Django with USE_TZ=False) or date (a calendar day); model:check compares it with the database",
    }),
  primary: z
    .boolean()
    .optional()
    .meta({ description: 'The time dimension that time windows ("este mes") and "latest" use; at most one per model' }),
});

export const dimensionSchema = z
  .discriminatedUnion('type', [categoricalDimensionSchema, timeDimensionSchema])
  .meta({ id: 'Dimension' });

// ---------------------------------------------------------------------------------------------
// Filters (structured, never SQL text)
// ---------------------------------------------------------------------------------------------

const valueListSchema = z.array(storedValueSchema).min(1).max(MAX_FILTER_VALUES);

/** `{ dimension, equals | in | not_in }`: exactly one operator. */
function filterConditionSchema<D extends z.ZodType<string>>(dimension: D) {
  return z.union(
    [
      z.strictObject({ dimension, equals: storedValueSchema }),
      z.strictObject({ dimension, in: valueListSchema }),
      z.strictObject({ dimension, not_in: valueListSchema }),
    ],
    { error: 'a filter is { dimension, equals: value } or { dimension, in: [values] } or { dimension, not_in: [values] }' },
  );
}

/** A measure's filter: a dimension of the same model. */
export const measureFilterSchema = filterConditionSchema(identifierSchema).meta({ id: 'MeasureFilter' });
/** A query's filter: a dimension of the model or, as `join.dimension`, of a joined model. */
export const queryFilterSchema = filterConditionSchema(dimensionRefSchema).meta({ id: 'QueryFilter' });

// ---------------------------------------------------------------------------------------------
// Measures
// ---------------------------------------------------------------------------------------------

export const MEASURE_TYPES = ['count', 'count_distinct', 'sum', 'avg', 'min', 'max'] as const;
export type MeasureType = (typeof MEASURE_TYPES)[number];

const measureCommon = {
  name: identifierSchema.meta({ description: 'Identifier used in queries' }),
  words: wordsSchema,
  label: labelSchema.optional(),
  description: z.string().max(MAX_DESCRIPTION_CHARS).optional(),
  format: z.enum(['number', 'integer', 'currency']).optional(),
  ranking: z
    .literal(true)
    .optional()
    .meta({
      description:
        'The measure a ranking ("top clientes", "best customers") uses when the question names none; at most one per model, needed when it has several sums',
    }),
  filter: z
    .array(measureFilterSchema)
    .min(1)
    .max(MAX_FILTERS)
    .optional()
    .meta({ description: 'Rows the measure counts, e.g. [{ dimension: estado, not_in: [X] }]' }),
};

const measureColumn = identifierSchema.meta({ description: "The aggregated column; must be listed in the model's columns" });

export const measureSchema = z.discriminatedUnion('type', [
  z.strictObject({
    ...measureCommon,
    type: z.literal('count'),
    column: measureColumn.optional().meta({ description: 'Count non-null values of this column instead of rows' }),
  }),
  z.strictObject({ ...measureCommon, type: z.literal('count_distinct'), column: measureColumn }),
  z.strictObject({ ...measureCommon, type: z.enum(['sum', 'avg', 'min', 'max']), column: measureColumn }),
]).meta({ id: 'Measure' });

// ---------------------------------------------------------------------------------------------
// Joins and tenancy
// ---------------------------------------------------------------------------------------------

export const joinSchema = z
  .strictObject({
    name: identifierSchema.meta({ description: 'Identifier used in references such as cliente.nombre' }),
    model: identifierSchema.meta({ description: 'The target model' }),
    foreign_key: identifierSchema.meta({
      description: "This model's column holding the target's primary key (many-to-one)",
    }),
  })
  .meta({ id: 'Join', description: 'A many-to-one join: each row of this model has at most one row of the target' });

const TENANCY_CHOICES =
  'column: <tenant column> | via: <join to a model with a tenant column> | shared: true | schema_per_tenant: true | database_per_project: true';

/** Who may see each row. Required: a model without a decision is an error (fail closed). */
export const tenancySchema = z
  .union(
    [
      z.strictObject({
        column: identifierSchema.meta({ description: "Column holding the tenant's value (e.g. empresa_id)" }),
      }),
      z.strictObject({
        via: identifierSchema.meta({ description: 'A join of this model to a model whose tenancy is a column' }),
      }),
      z.strictObject({ shared: z.literal(true).meta({ description: 'Every tenant sees every row (e.g. countries)' }) }),
      z.strictObject({
        schema_per_tenant: z.literal(true).meta({ description: "django-tenants: search_path is the tenant's schema" }),
      }),
      z.strictObject({
        database_per_project: z.literal(true).meta({ description: "The project's own database: every row is the tenant's" }),
      }),
    ],
    {
      error: (issue) =>
        issue.input === undefined
          ? `missing tenancy: declare who owns each row with exactly one of ${TENANCY_CHOICES}`
          : `tenancy must be exactly one of ${TENANCY_CHOICES}`,
    },
  )
  .meta({ id: 'Tenancy', description: `Who owns each row, exactly one of ${TENANCY_CHOICES}` });

// ---------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------

export const modelDefSchema = z.strictObject({
  name: identifierSchema.meta({ description: 'Identifier used in queries and tools, e.g. pedido' }),
  table: tableSchema,
  primary_key: identifierSchema,
  words: wordsSchema,
  label: labelSchema.optional(),
  description: z.string().max(MAX_DESCRIPTION_CHARS).optional(),
  tenancy: tenancySchema,
  columns: z
    .array(identifierSchema)
    .min(1)
    .max(MAX_COLUMNS_PER_MODEL)
    .meta({ description: 'Exposed columns: the only columns any query may read; everything else is invisible' }),
  dimensions: z.array(dimensionSchema).max(MAX_DIMENSIONS_PER_MODEL).default([]),
  measures: z.array(measureSchema).max(MAX_MEASURES_PER_MODEL).default([]),
  joins: z.array(joinSchema).max(MAX_JOINS_PER_MODEL).default([]),
}).meta({ id: 'Model' });

// ---------------------------------------------------------------------------------------------
// Queries: what a question resolves to. Used by examples here and by tools and the matcher.
// ---------------------------------------------------------------------------------------------

/** A calendar window, evaluated in the project's time zone on the model's primary time dimension. */
export const timeWindowSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('today') }),
  z.strictObject({ kind: z.literal('yesterday') }),
  z.strictObject({ kind: z.literal('this_week') }),
  z.strictObject({ kind: z.literal('this_month') }),
  z.strictObject({ kind: z.literal('this_quarter') }),
  z.strictObject({ kind: z.literal('this_year') }),
  z.strictObject({ kind: z.literal('last_days'), days: z.int().min(1).max(MAX_WINDOW_DAYS) }),
]).meta({ id: 'TimeWindow' });

const queryLimitSchema = z.int().min(1).max(MAX_QUERY_LIMIT);

/**
 * One answerable question, as data. The shapes:
 *   aggregate  { model, measure }
 *   breakdown  { model, measure, group_by[, order] }
 *   top N      { model, measure, group_by, order, limit }
 *   series     { model, measure, series }
 *   latest     { model, latest }            (rows, newest first by the primary time dimension)
 * each with optional filters and window. The project is never part of a query: the server binds it.
 */
export const semanticQuerySchema = z
  .strictObject({
    model: identifierSchema,
    measure: identifierSchema.optional(),
    filters: z.array(queryFilterSchema).min(1).max(MAX_FILTERS).optional(),
    window: timeWindowSchema.optional(),
    group_by: dimensionRefSchema.optional().meta({ description: 'A categorical dimension: "estado" or "cliente.nombre"' }),
    series: z.strictObject({ dimension: identifierSchema, granularity: granularitySchema }).optional(),
    order: z.enum(['asc', 'desc']).optional(),
    limit: queryLimitSchema.optional(),
    latest: z.strictObject({ limit: queryLimitSchema }).optional(),
  })
  .superRefine((query, ctx) => {
    const fail = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (query.latest) {
      for (const key of ['measure', 'group_by', 'series', 'order', 'limit'] as const) {
        if (query[key] !== undefined) fail(key, `a latest query lists rows: it takes no ${key}`);
      }
      return;
    }
    if (query.measure === undefined) fail('measure', 'a query needs a measure (or latest: { limit } to list rows)');
    if (query.group_by !== undefined && query.series !== undefined) {
      fail('series', 'a query is either a breakdown (group_by) or a series, not both');
    }
    if (query.group_by === undefined) {
      if (query.order !== undefined) fail('order', 'order applies to a breakdown: add group_by');
      if (query.limit !== undefined) fail('limit', 'limit applies to a top N: add group_by and order');
    } else if (query.limit !== undefined && query.order === undefined) {
      fail('limit', 'a top N needs order: desc (largest first) or asc');
    }
  })
  .meta({ id: 'SemanticQuery' });

export const exampleSchema = z.strictObject({
  question: z.string().min(1).max(MAX_QUESTION_CHARS),
  language: z.enum(LANGUAGES).optional(),
  query: semanticQuerySchema,
});

// ---------------------------------------------------------------------------------------------
// The file
// ---------------------------------------------------------------------------------------------

export const SEMANTIC_MODEL_VERSION = 1;

export const semanticModelSchema = z
  .strictObject({
    $schema: z.string().optional().meta({ description: 'Path or URL of this JSON Schema, for editors (JSON files)' }),
    version: z.literal(SEMANTIC_MODEL_VERSION),
    models: z.array(modelDefSchema).min(1).max(MAX_MODELS),
    examples: z
      .array(exampleSchema)
      .max(MAX_EXAMPLES)
      .default([])
      .meta({ description: 'Questions with the query that answers them: documentation, tests and hints for the matcher' }),
  })
  .meta({
    title: 'Semantic model',
    description: "What a project's PostgreSQL data means: models, measures, dimensions, joins, tenancy and words",
  });

export type SemanticModel = z.infer<typeof semanticModelSchema>;
/** The file as written (defaults not yet applied). */
export type SemanticModelInput = z.input<typeof semanticModelSchema>;
export type ModelDef = z.infer<typeof modelDefSchema>;
export type Words = z.infer<typeof wordsSchema>;
export type Label = z.infer<typeof labelSchema>;
export type StoredValue = z.infer<typeof storedValueSchema>;
export type DimensionValue = z.infer<typeof dimensionValueSchema>;
export type Granularity = z.infer<typeof granularitySchema>;
export type CategoricalDimension = z.infer<typeof categoricalDimensionSchema>;
export type TimeDimension = z.infer<typeof timeDimensionSchema>;
export type Dimension = z.infer<typeof dimensionSchema>;
export type MeasureFilter = z.infer<typeof measureFilterSchema>;
export type QueryFilter = z.infer<typeof queryFilterSchema>;
export type Measure = z.infer<typeof measureSchema>;
export type Join = z.infer<typeof joinSchema>;
export type Tenancy = z.infer<typeof tenancySchema>;
export type TimeWindow = z.infer<typeof timeWindowSchema>;
export type SemanticQuery = z.infer<typeof semanticQuerySchema>;
export type Example = z.infer<typeof exampleSchema>;

/** The operator and values of a filter, whichever of equals / in / not_in it uses. */
export function filterOperation(filter: MeasureFilter | QueryFilter): { op: 'equals' | 'in' | 'not_in'; values: StoredValue[] } {
  if ('equals' in filter) return { op: 'equals', values: [filter.equals] };
  if ('in' in filter) return { op: 'in', values: filter.in };
  return { op: 'not_in', values: filter.not_in };
}

/** The time dimension windows and "latest" apply to, if the model declares one. */
export function primaryTimeDimension(model: ModelDef): TimeDimension | undefined {
  return model.dimensions.find((d): d is TimeDimension => d.type === 'time' && d.primary === true);
}
