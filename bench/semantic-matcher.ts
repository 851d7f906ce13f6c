// npx tsx bench/semantic-matcher.ts — CPU cost of the model-driven matcher per question, for each
// fixture model and the demo's. Prints figures only: timing is not a
// pass/fail assertion (a loaded CI machine would make it flaky).
import { readFileSync } from 'node:fs';
import { createSemanticMatcher } from '../src/services/semantic-model/matcher.js';
import { parseSemanticModel } from '../src/services/semantic-model/parse.js';

/** Answered and declined phrasings of each kind: declines stop early, so both are measured. */
const QUESTIONS: Record<string, string[]> = {
  'models/demo.yaml': [
    '¿Cuántas órdenes pendientes hay?',
    'how many pending orders are there',
    'pedidos enviados esta semana',
    'importe de las órdenes entregadas en los últimos 7 días',
    'últimas 5 órdenes',
    'top 5 clientes por gasto este mes',
    'orders per day this month',
    'Explícame qué es una orden inbound',
    'How do I cancel an order?',
  ],
  'test/fixtures/models/ventas.yaml': [
    '¿Cuántos pedidos pendientes hay?',
    'Pedidos enviados o completados en los últimos 30 días',
    'Top 5 clientes por importe este mes',
    'los 3 mejores clientes',
    'ventas por mes',
    'How many customers do we have?',
    '¿por qué hay tantos pedidos cancelados?',
  ],
  'test/fixtures/models/crm.yaml': [
    'Top 10 cuentas por importe ganado este año',
    'Cuentas de México',
    'facturas emitidas o pagadas',
    'Latest invoices',
    '¿cuántas hay?',
    'explícame qué es una oportunidad',
  ],
};

function microsecondsPer(iterations: number, questions: string[], match: (q: string) => unknown): number {
  for (let i = 0; i < 2_000; i++) match(questions[i % questions.length] as string); // warm-up (JIT)
  const started = performance.now();
  for (let i = 0; i < iterations; i++) match(questions[i % questions.length] as string);
  return ((performance.now() - started) * 1000) / iterations;
}

const iterations = Number(process.argv[2] ?? 50_000);
for (const [file, questions] of Object.entries(QUESTIONS)) {
  const parsed = parseSemanticModel(readFileSync(file, 'utf8'), { fileName: file });
  if (!parsed.ok) throw new Error(`${file}: ${JSON.stringify(parsed.errors)}`);
  const compileStarted = performance.now();
  const matcher = createSemanticMatcher(parsed.model);
  const compileMs = performance.now() - compileStarted;
  const us = microsecondsPer(iterations, questions, (q) => matcher.match(q));
  console.log(`${file.padEnd(34)} ${us.toFixed(1).padStart(6)} µs/question   (compile ${compileMs.toFixed(2)} ms)`);
}
