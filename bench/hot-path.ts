// npm run bench:hot-path — CPU cost per request of token verification and question matching.
// Prints figures only; nothing here is a pass/fail assertion.
import { mintAccessToken } from '../src/auth/dev-token.js';
import { createTokenVerifier } from '../src/auth/simplejwt.js';
import { createMatcher } from '../src/chat/matcher.js';

const QUESTIONS = [
  '¿Cuántas órdenes pendientes hay?',
  'how many pending orders are there',
  'pedidos enviados esta semana',
  'total de las órdenes canceladas este mes',
  'últimas 5 órdenes',
  'mejores clientes',
  'Explícame qué es una orden inbound',
  'How do I cancel an order?',
];

async function measure(label: string, iterations: number, work: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < Math.min(iterations, 2_000); i++) await work(i); // warm-up
  const started = performance.now();
  for (let i = 0; i < iterations; i++) await work(i);
  const microseconds = ((performance.now() - started) * 1000) / iterations;
  console.log(`${label.padEnd(34)} ${microseconds.toFixed(1).padStart(8)} µs/call  (${iterations} calls)`);
  return microseconds;
}

const secret = 'bench-secret-0123456789abcdef0123456789';
const token = await mintAccessToken({ secret, algorithm: 'HS256', userId: '1' });
const verify = createTokenVerifier({ secret, algorithm: 'HS256', leewaySeconds: 0, userIdClaim: 'user_id' });
const matcher = createMatcher();

const tokenUs = await measure('token verification (HS256)', 20_000, () => verify(token));
const matchUs = await measure('question matching', 50_000, (i) => matcher.match(QUESTIONS[i % QUESTIONS.length]!));
console.log(`${'token + matching'.padEnd(34)} ${(tokenUs + matchUs).toFixed(1).padStart(8)} µs/request`);
