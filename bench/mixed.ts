// The mixed workload: many questions across the demo semantic model (models/demo.yaml), several
// projects and users, 20 % follow-ups in existing conversations; and the same query mix as a
// weighted pgbench script, for its raw limit.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_MODEL } from '../src/adapters/db/demo-model.generated.js';
import { compileQuery } from '../src/services/semantic-model/compile.js';
import { createSemanticMatcher } from '../src/services/semantic-model/matcher.js';
import type { SemanticQuery } from '../src/services/semantic-model/schema.js';

/** First questions: counts by status, amounts, breakdowns, top customers, series, latest (phrasings of test/semantic-model.matcher.test.ts). */
export const MIXED_QUESTIONS = [
  '¿Cuántas órdenes pendientes hay?',
  'How many pending orders are there?',
  'pedidos en tránsito',
  'número de órdenes entregadas este mes',
  'count cancelled orders today',
  'how many orders',
  '¿Cuánto vendimos este mes?',
  'importe de las órdenes entregadas',
  'revenue this month',
  'importe neto este mes',
  'órdenes por estado',
  'orders by status',
  'gasto por cliente',
  'órdenes por cliente',
  'top 5 clientes por gasto',
  'top 3 customers by net sales this month',
  'órdenes por día este mes',
  'pedidos por semana',
  'monthly revenue',
  'últimas 5 órdenes',
  'latest cancelled orders',
  'orders this quarter',
];

/** Conversations start with this question; follow-ups only change its filter or window, so any order of them resolves. */
export const CONVERSATION_START = '¿Cuántas órdenes pendientes hay?';
export const FOLLOW_UPS = ['¿y las enviadas?', 'what about shipped ones?', 'and this month?', '¿y las canceladas?'];

export const FOLLOW_UP_SHARE = 0.2;

export type MixedRequest = { userId: string; project: string; question: string; followUp: boolean };

/**
 * A fixed, seeded sequence of requests the load generator cycles through: users × projects ×
 * questions, every fifth a follow-up in that user's conversation for that project.
 */
export function mixedSequence(users: readonly string[], projects: readonly string[], length = 2_000): MixedRequest[] {
  let seed = 42;
  const next = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31; // a fixed sequence: every run asks the same
    return seed % n;
  };
  return Array.from({ length }, (_, i) => {
    const followUp = i % Math.round(1 / FOLLOW_UP_SHARE) === 0;
    return {
      userId: users[next(users.length)]!,
      project: projects[next(projects.length)]!,
      question: followUp ? FOLLOW_UPS[next(FOLLOW_UPS.length)]! : MIXED_QUESTIONS[next(MIXED_QUESTIONS.length)]!,
      followUp,
    };
  });
}

/** The query each request runs (a follow-up: applied to the conversation's first question). */
export function queryOf(request: MixedRequest): SemanticQuery {
  const matcher = createSemanticMatcher(DEMO_MODEL);
  const query = request.followUp
    ? matcher.followUp(request.question, matcher.match(CONVERSATION_START)!.query)
    : matcher.match(request.question)?.query;
  if (!query) throw new Error(`the demo model does not answer "${request.question}"`);
  return query;
}

/** PostgreSQL literal for a parameter pgbench cannot bind from a script. */
function literal(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (value instanceof Date) return `'${value.toISOString()}'`;
  if (Array.isArray(value)) return `ARRAY[${value.map(literal).join(',')}]`;
  return `'${String(value).replaceAll("'", "''")}'`;
}

/**
 * The SQL the service runs for each request of the sequence, compiled exactly as
 * runSemanticQuery compiles it, written as one pgbench script per distinct statement with its
 * share of the sequence as weight (`-f file@weight`). Returns pgbench's -f arguments.
 */
export function pgbenchScripts(sequence: readonly MixedRequest[], dir: string, timeZone = 'UTC'): { args: string[]; statements: number } {
  const now = new Date();
  const weights = new Map<string, number>();
  for (const request of sequence) {
    const compiled = compileQuery(DEMO_MODEL, queryOf(request), { tenant: request.project, now, timeZone });
    const sql = compiled.sql.replace(/\$(\d+)/g, (_m, n: string) => literal(compiled.params[Number(n) - 1]));
    weights.set(sql, (weights.get(sql) ?? 0) + 1);
  }
  const args = [...weights].flatMap(([sql, weight], i) => {
    const file = join(dir, `mixed-${i}.sql`);
    writeFileSync(file, `${sql};\n`);
    return ['-f', `${file}@${weight}`];
  });
  return { args, statements: weights.size };
}
