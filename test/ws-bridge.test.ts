import { afterAll, beforeAll, expect, it } from 'vitest';
import { MAX_HTTP_BODY_BYTES, MAX_HTTP_POOLS, startBridge, type Bridge } from '../scripts/ws-bridge.js';
import { POSTGRES_ADMIN_URL } from './support/databases.js';

// The bridge's SQL-over-HTTP endpoint (Neon's protocol, what the Worker's single statements use
// in npm run dev): what the driver gets back, and its bounds. The driver's side of it runs in the
// database contract (test/db.contract.test.ts, neon-http) and the Worker tests.
let bridge: Bridge;
beforeAll(async () => {
  bridge = await startBridge();
});
afterAll(() => bridge?.close());

const sql = (body: unknown, connectionString = POSTGRES_ADMIN_URL) =>
  fetch(bridge.httpUrl, {
    method: 'POST',
    headers: { 'Neon-Connection-String': connectionString, 'Neon-Raw-Text-Output': 'true', 'Neon-Array-Mode': 'true' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

it("answers a statement as Neon's endpoint does: fields with type ids, rows as PostgreSQL's text", async () => {
  const response = await sql({ query: 'SELECT $1::int AS n, $2::text AS t, NULL::date AS d', params: ['42', 'x'] });
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({
    command: 'SELECT',
    rowCount: 1,
    fields: [{ name: 'n', dataTypeID: 23 }, { name: 't', dataTypeID: 25 }, { name: 'd', dataTypeID: 1082 }],
    rows: [['42', 'x', null]],
  });
});

it("returns PostgreSQL's error code with 400, as the driver expects", async () => {
  const response = await sql({ query: 'SELECT 1/0', params: [] });
  expect(response.status).toBe(400);
  expect(await response.json()).toMatchObject({ code: '22012', message: 'division by zero' });
});

it('forwards only to loopback addresses', async () => {
  const response = await sql({ query: 'SELECT 1', params: [] }, 'postgres://postgres@10.0.0.1:5432/postgres');
  expect(response.status).toBe(400);
  expect(await response.json()).toEqual({ message: 'target not allowed' });
});

it('refuses a body larger than its bound', async () => {
  const response = await sql({ query: `SELECT '${'x'.repeat(MAX_HTTP_BODY_BYTES)}'`, params: [] });
  expect(response.status).toBe(400);
  expect(await response.json()).toEqual({ message: 'request body too large' });
});

it(`keeps pools for at most ${MAX_HTTP_POOLS} distinct connection strings and refuses more`, async () => {
  const statuses: number[] = [];
  for (let i = 0; i < MAX_HTTP_POOLS + 2; i++) {
    const url = new URL(POSTGRES_ADMIN_URL);
    url.searchParams.set('application_name', `bridge-test-${i}`);
    statuses.push((await sql({ query: 'SELECT 1', params: [] }, url.toString())).status);
  }
  // The first test's connection string holds one of the pools already.
  expect(statuses.filter((s) => s === 200)).toHaveLength(MAX_HTTP_POOLS - 1);
  expect(statuses.slice(MAX_HTTP_POOLS - 1).every((s) => s === 400)).toBe(true);
  // A known connection string keeps working.
  expect((await sql({ query: 'SELECT 1', params: [] })).status).toBe(200);
});
