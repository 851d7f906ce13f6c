// npm run bench:hot-path — CPU cost per request of token verification and question matching.
// Prints figures only; nothing here is a pass/fail assertion.
import { pathToFileURL } from 'node:url';
import { mintAccessToken } from '../src/services/auth/dev-token.js';
import { createTokenVerifier } from '../src/services/auth/simplejwt.js';
import { DEMO_MODEL } from '../src/adapters/db/demo-model.generated.js';
import { createSemanticMatcher } from '../src/services/semantic-model/matcher.js';

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

async function microsecondsPerCall(iterations: number, work: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < Math.min(iterations, 2_000); i++) await work(i); // warm-up
  const started = performance.now();
  for (let i = 0; i < iterations; i++) await work(i);
  return ((performance.now() - started) * 1000) / iterations;
}

export type HotPathFigures = { tokenUs: number; matchUs: number; totalUs: number };

/** Measures token verification and matching in this process; `scale` shortens the run for smoke mode. */
export async function measureHotPath(scale = 1): Promise<HotPathFigures> {
  const secret = 'bench-secret-0123456789abcdef0123456789';
  const token = await mintAccessToken({ secret, algorithm: 'HS256', userId: '1' });
  const verify = createTokenVerifier({ secret, algorithm: 'HS256', leewaySeconds: 0, userIdClaim: 'user_id' });
  const matcher = createSemanticMatcher(DEMO_MODEL); // the demo projects' matcher (models/demo.yaml)
  const tokenUs = await microsecondsPerCall(Math.round(20_000 * scale), () => verify(token));
  const matchUs = await microsecondsPerCall(Math.round(50_000 * scale), (i) => matcher.match(QUESTIONS[i % QUESTIONS.length]!));
  return { tokenUs, matchUs, totalUs: tokenUs + matchUs };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { tokenUs, matchUs, totalUs } = await measureHotPath();
  console.log(`token verification (HS256)  ${tokenUs.toFixed(1).padStart(7)} µs/call`);
  console.log(`question matching           ${matchUs.toFixed(1).padStart(7)} µs/call`);
  console.log(`token + matching            ${totalUs.toFixed(1).padStart(7)} µs/request`);
}
