/**
 * Answering from a project's semantic model: what the chat flow keeps per (project, model
 * version) — the compiled matcher and the model's one typed tool — the stored form of a
 * semantic turn, and the stable names of query shapes that `consulta` reports.
 *
 * No Hono, no Node APIs: it runs on Workers.
 */
import { z } from 'zod';
import type { ToolCall, ToolSpec } from '../../adapters/llm/model.js';
import { guardedAccessFor, schemaSummary, type GuardedAccess } from '../guarded-sql/model-access.js';
import { checkQuery } from '../semantic-model/check.js';
import { createSemanticMatcher, type SemanticMatcher } from '../semantic-model/matcher.js';
import {
  granularitySchema,
  MAX_FILTERS,
  MAX_FILTER_VALUES,
  MAX_QUERY_LIMIT,
  semanticQuerySchema,
  timeWindowSchema,
  type Dimension,
  type Label,
  type ModelDef,
  type SemanticModel,
  type SemanticQuery,
  type StoredValue,
} from '../semantic-model/schema.js';

/**
 * What `consulta` says of a semantic answer: the shape of the query that ran.
 *   aggregate  one number (count, total, average, ...), optionally filtered and windowed
 *   breakdown  the measure per value of a dimension
 *   top        the first N values of a dimension by the measure
 *   series     the measure per time bucket (day, week, month, ...)
 *   latest     the newest N rows of a model
 */
export const SEMANTIC_SHAPES = ['aggregate', 'breakdown', 'top', 'series', 'latest'] as const;
export type SemanticShape = (typeof SEMANTIC_SHAPES)[number];

/** The same decision the compiler makes (compile.ts), from the query alone. */
export function semanticShape(query: SemanticQuery): SemanticShape {
  if (query.latest) return 'latest';
  if (query.group_by !== undefined) return query.limit !== undefined ? 'top' : 'breakdown';
  if (query.series) return 'series';
  return 'aggregate';
}

/**
 * The query that answered a turn, as stored in `messages.query_call` (jsonb) for follow-ups:
 * `{ kind: 'semantic', query }`. Rows written by versions with the demo's query catalogue hold
 * an untagged `{ name, params }`; they read as no call (no follow-up), like anything else this
 * version cannot read.
 */
export const semanticCallSchema = z.strictObject({ kind: z.literal('semantic'), query: semanticQuerySchema });
export type SemanticCall = z.infer<typeof semanticCallSchema>;

/** A stored call read back from the database, or null. */
export function readStoredCall(stored: unknown): SemanticCall | null {
  if (stored === null || stored === undefined) return null;
  const semantic = semanticCallSchema.safeParse(stored);
  return semantic.success ? semantic.data : null;
}

/** A tool's JSON schema from the zod schema that will validate the model's arguments. */
export function toolParameters(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...parameters } = z.toJSONSchema(schema) as Record<string, unknown>;
  return parameters;
}

// ---------------------------------------------------------------------------------------------
// The model's one tool
// ---------------------------------------------------------------------------------------------

export const QUERY_DATA = 'query_data';

/** Literal enum of a non-empty list (zod wants at least one member). */
function oneOf<T extends string>(values: readonly T[], fallback: T): z.ZodEnum<{ [K in T]: K }> {
  return z.enum((values.length > 0 ? [...new Set(values)] : [fallback]) as [T, ...T[]]);
}

type DimensionRef = { ref: string; dimension: Dimension };

/** Every dimension a query of `model` may name: its own, and those of models it joins (`join.dimension`). */
function dimensionRefs(project: SemanticModel, model: ModelDef): DimensionRef[] {
  return [
    ...model.dimensions.map((dimension) => ({ ref: dimension.name, dimension })),
    ...model.joins.flatMap((join) =>
      (project.models.find((m) => m.name === join.model)?.dimensions ?? []).map((dimension) => ({ ref: `${join.name}.${dimension.name}`, dimension })),
    ),
  ];
}

/**
 * The zod schema of the tool's arguments, derived from the project's model: model, measure and
 * dimension names and stored values are closed enums, windows and shapes the query schema's.
 * Objects are strict: an argument the schema does not name (a tenant, a project, raw SQL) is
 * refused. Which measure belongs to which model is left to checkQuery, which runs next.
 */
export function semanticToolSchema(project: SemanticModel) {
  const models = project.models;
  const refs = models.flatMap((model) => dimensionRefs(project, model));
  const categorical = refs.filter((r) => r.dimension.type === 'categorical').map((r) => r.ref);
  const valued = refs.filter((r) => r.dimension.type === 'categorical' && r.dimension.values);
  const values: StoredValue[] = [
    ...new Set(valued.flatMap((r) => (r.dimension.type === 'categorical' ? (r.dimension.values ?? []).map((v) => v.value) : []))),
  ];
  const time = models.flatMap((m) => m.dimensions.filter((d) => d.type === 'time').map((d) => d.name));

  const valueSchema = values.length > 0 ? z.literal(values as [StoredValue, ...StoredValue[]]) : z.never();
  const valueList = z.array(valueSchema).min(1).max(MAX_FILTER_VALUES);
  const filterDimension = oneOf(
    valued.map((r) => r.ref),
    '_',
  ).meta({ description: 'A dimension with listed values: "estado" or "join.dimension"' });
  const filter = z.union([
    z.strictObject({ dimension: filterDimension, equals: valueSchema }),
    z.strictObject({ dimension: filterDimension, in: valueList }),
    z.strictObject({ dimension: filterDimension, not_in: valueList }),
  ]);
  return z.strictObject({
    model: oneOf(
      models.map((m) => m.name),
      '_',
    ).meta({ description: 'The model whose rows are counted, summed or listed' }),
    measure: oneOf(
      models.flatMap((m) => m.measures.map((x) => x.name)),
      '_',
    )
      .optional()
      .meta({ description: "One of the model's measures; omit only with latest" }),
    filters: z.array(filter).min(1).max(MAX_FILTERS).optional(),
    window: timeWindowSchema.optional().meta({ description: "A calendar window on the model's primary time dimension" }),
    group_by: oneOf(categorical, '_').optional().meta({ description: 'Breakdown by this categorical dimension' }),
    series: z.strictObject({ dimension: oneOf(time, '_'), granularity: granularitySchema }).optional(),
    order: z.enum(['asc', 'desc']).optional().meta({ description: 'With group_by: largest first (desc) or smallest first' }),
    limit: z.int().min(1).max(MAX_QUERY_LIMIT).optional().meta({ description: 'With group_by and order: top N' }),
    latest: z.strictObject({ limit: z.int().min(1).max(MAX_QUERY_LIMIT) }).optional().meta({ description: 'List the newest rows instead of a measure' }),
  });
}

const label = (name: string, l: Label | undefined) => (l?.en || l?.es ? `${name} (${l.en ?? l.es})` : name);

/** What the model reads about the data: each model, its measures and dimensions (with values). */
function describeModel(project: SemanticModel): string {
  const lines = project.models.map((model) => {
    const measures = model.measures.map((m) => label(m.name, m.label)).join(', ') || 'none';
    const dimensions = dimensionRefs(project, model)
      .map(({ ref, dimension }) => {
        if (dimension.type === 'time') return `${ref} (time${dimension.primary ? ', primary' : ''}: ${dimension.granularities.join('/')})`;
        const vals = dimension.values?.map((v) => (v.label?.en || v.label?.es ? `${String(v.value)}=${v.label.en ?? v.label.es}` : String(v.value)));
        return vals ? `${ref} [${vals.join(', ')}]` : ref;
      })
      .join('; ');
    return `- ${label(model.name, model.label)}: measures ${measures}; dimensions ${dimensions || 'none'}`;
  });
  return lines.join('\n');
}

export type SemanticTool = { spec: ToolSpec; schema: ReturnType<typeof semanticToolSchema> };

export function semanticTool(project: SemanticModel): SemanticTool {
  const schema = semanticToolSchema(project);
  return {
    schema,
    spec: {
      name: QUERY_DATA,
      description:
        "Query this project's data. Shapes: aggregate {model, measure}; breakdown {model, measure, group_by}; " +
        'top N {model, measure, group_by, order, limit}; series {model, measure, series}; latest {model, latest: {limit}}; ' +
        'each with optional filters and window. Only the current tenant’s rows are visible; never pass a tenant or project.\n' +
        describeModel(project),
      parameters: toolParameters(schema),
    },
  };
}

/**
 * Validates the model's tool call with the tool's own zod schema, the query schema and the
 * model's cross-references (checkQuery): nothing unvalidated runs. The error text goes back to
 * the model for one more try.
 */
export function parseSemanticToolCall(
  call: ToolCall,
  project: SemanticModel,
  tool: SemanticTool,
): { ok: true; query: SemanticQuery } | { ok: false; error: string } {
  if (call.name !== QUERY_DATA) return { ok: false, error: `unknown tool "${call.name}"` };
  let args: unknown;
  try {
    args = JSON.parse(call.arguments || '{}');
  } catch {
    return { ok: false, error: 'arguments are not valid JSON' };
  }
  const shaped = tool.schema.safeParse(args);
  if (!shaped.success) return { ok: false, error: issuesText(shaped.error) };
  const query = semanticQuerySchema.safeParse(shaped.data);
  if (!query.success) return { ok: false, error: issuesText(query.error) };
  const findings = checkQuery(project, query.data);
  if (findings.length > 0) return { ok: false, error: findings.map((f) => `${f.path.join('.') || '(query)'}: ${f.message}`).join('; ') };
  return { ok: true, query: query.data };
}

const issuesText = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.') || '(arguments)'}: ${i.message}`).join('; ');

/** A query still answerable by the project's current model (a stored one may be of an older version). */
export const isAnswerable = (project: SemanticModel, query: SemanticQuery) => checkQuery(project, query).length === 0;

/**
 * What is compiled once per (project, model version) and shared by every request: the matcher,
 * the query_data tool, and what model-written SQL may read (with the tables' description).
 */
export type CompiledSemantic = { matcher: SemanticMatcher; tool: SemanticTool; sql: GuardedAccess & { summary: string } };

export function compileSemantic(project: SemanticModel): CompiledSemantic {
  return { matcher: createSemanticMatcher(project), tool: semanticTool(project), sql: { ...guardedAccessFor(project), summary: schemaSummary(project) } };
}

// ---------------------------------------------------------------------------------------------
// Suggested questions
// ---------------------------------------------------------------------------------------------

export const MAX_SUGGESTIONS = 5;

/**
 * The first few example questions of a model; with `language`, only those in it (an example's
 * declared language, or the one its text reads as).
 */
export function suggestedQuestions(
  project: SemanticModel | undefined,
  language: 'es' | 'en' | undefined,
  detect: (text: string) => 'es' | 'en',
): string[] {
  if (!project) return [];
  return project.examples
    .filter((example) => language === undefined || (example.language ?? detect(example.question)) === language)
    .slice(0, MAX_SUGGESTIONS)
    .map((example) => example.question);
}
