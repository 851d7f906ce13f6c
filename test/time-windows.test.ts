import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/adapters/db/migrations.js';
import { DEMO_MODEL } from '../src/adapters/db/demo-model.generated.js';
import { createDemoTables } from '../src/adapters/db/seed.js';
import { ask, buildApp, question } from './support/app.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from './support/databases.js';
import { accessClaims, signToken } from './support/tokens.js';

/**
 * Calendar windows follow APP_TIMEZONE. Now is Monday 2026-03-02 03:00 UTC, which in Bogotá
 * (UTC-5) is still Sunday 1 March, 22:00. Orders are placed around those boundaries.
 */
const NOW = new Date('2026-03-02T03:00:00Z');
const ORDERS = [
  '2026-02-23T04:00:00Z', // Bogotá: Sun 22 Feb 23:00 (last week)     UTC: Mon 23 Feb (last week)
  '2026-02-28T12:00:00Z', // Bogotá: Sat 28 Feb 07:00 (yesterday)      UTC: Sat 28 Feb (February)
  '2026-03-01T02:00:00Z', // Bogotá: Sat 28 Feb 21:00 (yesterday)      UTC: Sun 1 Mar (yesterday, March)
  '2026-03-01T06:00:00Z', // Bogotá: Sun 1 Mar 01:00 (today, March)    UTC: Sun 1 Mar (yesterday, March)
  '2026-03-02T02:30:00Z', // Bogotá: Sun 1 Mar 21:30 (today, March)    UTC: Mon 2 Mar (today, March)
];

/**
 * Yesterday across Madrid's daylight-saving changes: on the Monday after, yesterday (Sunday) had
 * 23 hours in spring and 25 in autumn, so "midnight minus 24 hours" is the wrong start.
 */
const SPRING_MONDAY = new Date('2026-03-30T08:00:00Z'); // Madrid: Mon 30 Mar 10:00 CEST
const AUTUMN_MONDAY = new Date('2026-10-26T08:00:00Z'); // Madrid: Mon 26 Oct 09:00 CET
const DST_ORDERS = [
  '2026-03-28T22:30:00Z', // Madrid: Sat 28 Mar 23:30 CET (not yesterday on the spring Monday)
  '2026-03-29T12:00:00Z', // Madrid: Sun 29 Mar 14:00 CEST (yesterday)
  '2026-03-29T21:30:00Z', // Madrid: Sun 29 Mar 23:30 CEST (yesterday)
  '2026-10-24T21:30:00Z', // Madrid: Sat 24 Oct 23:30 CEST (not yesterday on the autumn Monday)
  '2026-10-24T22:30:00Z', // Madrid: Sun 25 Oct 00:30 CEST (yesterday)
  '2026-10-25T22:30:00Z', // Madrid: Sun 25 Oct 23:30 CET (yesterday)
];

describe.each(DATABASE_KINDS)('time windows in the configured time zone on the %s PostgreSQL', (kind) => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase(kind);
    await migrate(test.db);
    await createDemoTables(test.db); // the demo's orders table, empty: these tests load their own rows (read through the demo model)
    await test.db.query(
      "INSERT INTO chat_api.projects (slug, display_name, system_prompt, semantic_model) VALUES ('reloj', 'Reloj', 'Eres un asistente.', $1::jsonb)",
      [JSON.stringify(DEMO_MODEL)],
    );
    for (const at of ORDERS) {
      await test.db.query("INSERT INTO orders (project, status, amount, customer, created_at) VALUES ('reloj', 'pending', 10, 'Cliente', $1)", [at]);
    }
    await test.db.query(
      "INSERT INTO chat_api.projects (slug, display_name, system_prompt, semantic_model) VALUES ('reloj_dst', 'Reloj DST', 'Eres un asistente.', $1::jsonb)",
      [JSON.stringify(DEMO_MODEL)],
    );
    for (const at of DST_ORDERS) {
      await test.db.query("INSERT INTO orders (project, status, amount, customer, created_at) VALUES ('reloj_dst', 'pending', 10, 'Cliente', $1)", [at]);
    }
  });
  afterAll(() => test?.drop());

  const count = async (timeZone: string, mensaje: string, now = NOW, project = 'reloj') => {
    const app = buildApp(test.db, { APP_TIMEZONE: timeZone }, { now: () => now });
    const response = await ask(app, question(mensaje, project), { token: signToken(accessClaims(1, {}, now.getTime())) });
    expect(response.status).toBe(200);
    return ((await response.json()) as { datos: { count: number } }).datos.count;
  };

  it.each([
    ['America/Bogota', '¿Cuántas órdenes hay hoy?', 2],
    ['America/Bogota', '¿Cuántas órdenes hubo ayer?', 2],
    ['America/Bogota', '¿Cuántas órdenes hay esta semana?', 4],
    ['America/Bogota', '¿Cuántas órdenes hay este mes?', 2],
    ['UTC', 'how many orders today', 1],
    ['UTC', 'how many orders yesterday', 2],
    ['UTC', 'how many orders this week', 1],
    ['UTC', 'how many orders this month', 3],
    ['UTC', 'how many orders in the last 2 days', 4],
    ['UTC', 'how many orders in the last 7 days', 5],
  ])('%s: %s → %i', async (timeZone, mensaje, expected) => {
    expect(await count(timeZone, mensaje)).toBe(expected);
  });

  it.each([
    ['Europe/Madrid', 'spring', 2],
    ['Europe/Madrid', 'autumn', 2],
    ['UTC', 'spring', 2],
    ['UTC', 'autumn', 1],
  ] as const)('%s: yesterday on the Monday after the %s change → %i', async (timeZone, season, expected) => {
    const now = season === 'spring' ? SPRING_MONDAY : AUTUMN_MONDAY;
    expect(await count(timeZone, '¿Cuántas órdenes hubo ayer?', now, 'reloj_dst')).toBe(expected);
  });

  it('refuses an unknown time zone at start-up', () => {
    expect(() => buildApp(test.db, { APP_TIMEZONE: 'Mars/Olympus' })).toThrow(/APP_TIMEZONE: unknown IANA time zone/);
  });
});
