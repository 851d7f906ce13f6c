import { z } from 'zod';
import type { ToolCall, ToolSpec } from '../../adapters/llm/model.js';
import { catalogueParamSchemas, type QueryCall, type QueryName } from './catalogue-types.js';

const DESCRIPTIONS: Record<QueryName, string> = {
  count_orders: 'Count the orders of the current project, optionally with one status and one time window.',
  total_amount: 'Total amount (sum) of the orders of the current project, optionally with one status and one time window.',
  orders_by_status: 'Number and total amount of the orders of the current project per status, optionally in one time window.',
  latest_orders: 'The most recent orders of the current project (1..50), optionally with one status.',
  top_customers: 'The customers of the current project with the highest total amount (1..50), cancelled orders excluded, optionally in one time window.',
};

/**
 * The project's catalogue as model tools, their JSON schemas generated from the same zod
 * schemas that validate the model's arguments. The project is never a parameter.
 */
export function catalogueTools(enabled: readonly QueryName[]): ToolSpec[] {
  return enabled.map((name) => {
    return { name, description: DESCRIPTIONS[name], parameters: toolParameters(catalogueParamSchemas[name]) };
  });
}

/** A tool's JSON schema from the zod schema that will validate the model's arguments. */
export function toolParameters(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...parameters } = z.toJSONSchema(schema) as Record<string, unknown>;
  return parameters;
}

/** Validates a model's tool call against the enabled catalogue; the model's text is never trusted. */
export function parseToolCall(call: ToolCall, enabled: readonly QueryName[]): { ok: true; call: QueryCall } | { ok: false; error: string } {
  if (!(enabled as readonly string[]).includes(call.name)) return { ok: false, error: `unknown tool "${call.name}"` };
  const name = call.name as QueryName;
  let args: unknown;
  try {
    args = JSON.parse(call.arguments || '{}');
  } catch {
    return { ok: false, error: 'arguments are not valid JSON' };
  }
  const parsed = catalogueParamSchemas[name].safeParse(args);
  if (!parsed.success) {
    return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.') || '(arguments)'}: ${i.message}`).join('; ') };
  }
  return { ok: true, call: { name, params: parsed.data } as QueryCall };
}
