import { z } from 'zod';

/** Order statuses as stored in the database. */
export const ORDER_STATUSES = ['pending', 'shipped', 'delivered', 'cancelled'] as const;
export const orderStatusSchema = z.enum(ORDER_STATUSES);
export type OrderStatus = z.infer<typeof orderStatusSchema>;

export const MAX_ROWS = 50;
export const MAX_DAYS = 3650;

/** A calendar window evaluated in the configured time zone. */
export const timeWindowSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('today') }),
  z.object({ kind: z.literal('yesterday') }),
  z.object({ kind: z.literal('this_week') }),
  z.object({ kind: z.literal('this_month') }),
  z.object({ kind: z.literal('last_days'), days: z.number().int().min(1).max(MAX_DAYS) }),
]);
export type TimeWindow = z.infer<typeof timeWindowSchema>;

const limitSchema = z.number().int().min(1).max(MAX_ROWS);

/** Parameters of every catalogue query; the project is never one of them (the server binds it). */
export const catalogueParamSchemas = {
  count_orders: z.object({ status: orderStatusSchema.optional(), window: timeWindowSchema.optional() }),
  total_amount: z.object({ status: orderStatusSchema.optional(), window: timeWindowSchema.optional() }),
  orders_by_status: z.object({ window: timeWindowSchema.optional() }),
  latest_orders: z.object({ limit: limitSchema, status: orderStatusSchema.optional() }),
  top_customers: z.object({ limit: limitSchema, window: timeWindowSchema.optional() }),
} as const;

export type QueryName = keyof typeof catalogueParamSchemas;
export const QUERY_NAMES = Object.keys(catalogueParamSchemas) as QueryName[];
export type QueryParams<N extends QueryName> = z.infer<(typeof catalogueParamSchemas)[N]>;

/** A question resolved to one catalogue query. */
export type QueryCall = { [N in QueryName]: { name: N; params: QueryParams<N> } }[QueryName];

export type Language = 'es' | 'en';
