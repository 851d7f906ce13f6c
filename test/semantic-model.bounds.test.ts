import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ask, buildApp, question } from './support/app.js';
import { createSeededDatabase, type TestDatabase } from './support/databases.js';

type Rows = Record<string, unknown>[];
type ChatJson = { respuesta: string; consulta: string; datos: { rows: Rows; truncated?: boolean; truncated_by?: string[] } };

const bytes = (text: string) => new TextEncoder().encode(text).length;
const NAME_CHARS = 1_500_000; // 'ñ': 3 MB of UTF-8 per name

/**
 * Semantic-model answers read a user's table: a value there (a customer's name) may be megabytes.
 * It is cut in PostgreSQL to SEMANTIC_MAX_VALUE_BYTES, so the answer (and the process) never
 * holds it whole, and the data says so (issue 14).
 */
describe.each(['postgres', 'embedded'] as const)('semantic query results bounded in bytes (%s)', (kind) => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createSeededDatabase(kind);
    // Three customers with names of 3 MB, the biggest spenders of this month and the newest orders.
    await test.db.query(
      `INSERT INTO orders (project, status, amount, customer, created_at)
       SELECT 'dashboard_miempresa', 'delivered', 999999, i || repeat('ñ', $1::int), now() - i * interval '1 second' FROM generate_series(1, 3) AS i`,
      [NAME_CHARS],
    );
  });
  afterAll(async () => {
    await test?.drop();
  });

  const chat = async (app: ReturnType<typeof buildApp>, text: string) => {
    const response = await ask(app, question(text));
    expect(response.status).toBe(200);
    const body = await response.text();
    return { body, json: JSON.parse(body) as ChatJson };
  };

  it.each([
    ['Top 5 clientes por gasto este mes', 'top', 'customer'],
    ['Últimas 5 órdenes', 'latest', 'customer'],
  ])('%s: the huge names cut to SEMANTIC_MAX_VALUE_BYTES, ending in …, the rest intact', async (text, consulta, key) => {
    const { body, json } = await chat(buildApp(test.db), text);
    expect(json.consulta).toBe(consulta);
    expect(bytes(body)).toBeLessThan(64 * 1024);
    expect(json.datos).toMatchObject({ truncated: true, truncated_by: ['SEMANTIC_MAX_VALUE_BYTES'] });
    const names = json.datos.rows.map((row) => String(row[key]));
    expect(names).toHaveLength(5);
    const cut = names.filter((name) => name.endsWith('…'));
    expect(cut.map((name) => name[0]).sort()).toEqual(['1', '2', '3']);
    for (const name of cut) {
      expect(bytes(name)).toBeLessThanOrEqual(4096);
      expect(bytes(name)).toBeGreaterThan(4000);
      expect(name.slice(1, -1)).toBe('ñ'.repeat(name.length - 2));
    }
    // The rows keep their order and their other values.
    if (consulta === 'top') expect(json.datos.rows.slice(0, 3).map((row) => row.importe_neto)).toEqual([999999, 999999, 999999]);
    else expect(names.slice(0, 3).map((name) => name[0])).toEqual(['1', '2', '3']);
  });

  it('takes the cap from SEMANTIC_MAX_VALUE_BYTES; answers without a long value are as before', async () => {
    const app = buildApp(test.db, { SEMANTIC_MAX_VALUE_BYTES: '300' });
    const { json } = await chat(app, 'Últimas 5 órdenes');
    expect(json.datos.rows).toHaveLength(5);
    for (const row of json.datos.rows.slice(0, 3)) {
      expect(String(row.customer)).toMatch(/^\dñ+…$/);
      expect(bytes(String(row.customer))).toBeLessThanOrEqual(300);
      expect(bytes(String(row.customer))).toBeGreaterThan(290);
    }
    const { json: byStatus } = await chat(app, 'Órdenes por estado');
    expect(byStatus.datos.truncated).toBeUndefined();
    expect(byStatus.datos.truncated_by).toBeUndefined();
  });
});
