import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/adapters/db/database.js';
import { migrate } from '../src/adapters/db/migrations.js';
import { seedDemoData } from '../src/adapters/db/seed.js';
import { runSemanticQuery, type SemanticAnswer } from '../src/services/semantic-model/run.js';
import type { Language, SemanticModel, SemanticQuery, TimeWindow } from '../src/services/semantic-model/schema.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { enumerateQueries, loadModel } from './support/semantic-queries.js';

/**
 * The semantic runner against real PostgreSQL and embedded PGlite, over the Django-style fixtures
 * (test/fixtures/schemas). Every number is compared with SQL written here, independently of the
 * compiler (hand-computed window bounds, explicit tenant conditions), for each of three tenants
 * whose data differ in size, so any row of another tenant changes the answer.
 */

const NOW = new Date('2026-05-15T12:00:00Z'); // Friday; Madrid 14:00 CEST
const TZ = 'Europe/Madrid';
const VENTAS = loadModel('test/fixtures/models/ventas.yaml');
const CRM = loadModel('test/fixtures/models/crm.yaml');
const DEMO = loadModel('models/demo.yaml');
const fixture = (name: string) => readFileSync(new URL(`./fixtures/schemas/${name}.sql`, import.meta.url), 'utf8');

/** Window bounds in Madrid for NOW, worked out by hand: [from, to, whether `to` is included]. */
const BOUNDS: { window: TimeWindow; from: string; to: string; inclusive: boolean }[] = [
  { window: { kind: 'today' }, from: '2026-05-15T00:00:00+02:00', to: NOW.toISOString(), inclusive: true },
  { window: { kind: 'yesterday' }, from: '2026-05-14T00:00:00+02:00', to: '2026-05-15T00:00:00+02:00', inclusive: false },
  { window: { kind: 'this_week' }, from: '2026-05-11T00:00:00+02:00', to: NOW.toISOString(), inclusive: true },
  { window: { kind: 'this_month' }, from: '2026-05-01T00:00:00+02:00', to: NOW.toISOString(), inclusive: true },
  { window: { kind: 'this_quarter' }, from: '2026-04-01T00:00:00+02:00', to: NOW.toISOString(), inclusive: true },
  { window: { kind: 'this_year' }, from: '2026-01-01T00:00:00+01:00', to: NOW.toISOString(), inclusive: true },
  { window: { kind: 'last_days', days: 7 }, from: '2026-05-08T12:00:00Z', to: NOW.toISOString(), inclusive: true },
  { window: { kind: 'last_days', days: 30 }, from: '2026-04-15T12:00:00Z', to: NOW.toISOString(), inclusive: true },
];
const YEAR = BOUNDS.find((b) => b.window.kind === 'this_year') ?? (undefined as never);

/** Every bucket from the first to the last, empty ones with 0: "YYYY-MM-DD" days or months. */
function fillBuckets(counts: Map<string, number>, step: 'day' | 'month'): [string, number][] {
  const keys = [...counts.keys()].sort();
  const first = keys[0];
  const last = keys[keys.length - 1];
  if (!first || !last) return [];
  const out: [string, number][] = [];
  for (let at = new Date(`${first}T00:00:00Z`); at.toISOString().slice(0, 10) <= last; ) {
    const key = at.toISOString().slice(0, 10);
    out.push([key, counts.get(key) ?? 0]);
    if (step === 'day') at.setUTCDate(at.getUTCDate() + 1);
    else at.setUTCMonth(at.getUTCMonth() + 1);
  }
  return out;
}

/** A local calendar date in Madrid, computed in JavaScript (not by PostgreSQL's date_trunc). */
const localDay = (at: Date): string =>
  new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);

const TENANTS = [1, 2, 3] as const;
/** Every tenant's customer and account names start with its own name (see the fixtures). */
const VENTAS_NAMES = { 1: 'Norte', 2: 'Sur', 3: 'Este' } as const;
const CRM_NAMES = { 1: 'Alfa', 2: 'Beta', 3: 'Gamma' } as const;

describe.each(['postgres', 'embedded'] as const)('semantic queries on the %s PostgreSQL', (kind) => {
  let test: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    test = await createTestDatabase(kind);
    db = test.db;
    await db.exec(fixture('ventas'));
    await db.exec(fixture('crm'));
    await migrate(db);
    await seedDemoData(db, NOW);
  });
  afterAll(() => test?.drop());

  const one = async (sql: string, params: unknown[]): Promise<Record<string, unknown>> => (await db.query(sql, params))[0] ?? {};
  const run = (project: SemanticModel, query: SemanticQuery, tenant: string | number, lang: Language = 'es'): Promise<SemanticAnswer> =>
    runSemanticQuery(db, project, query, { tenant, now: NOW, timeZone: TZ }, lang);
  const datos = (answer: SemanticAnswer) => answer.datos as Record<string, unknown>;
  const rowsOf = (answer: SemanticAnswer) => (answer.datos as { rows: Record<string, unknown>[] }).rows;

  describe('ventas: tenant column on every table', () => {
    for (const tenant of TENANTS) {
      it(`counts and sums per window for empresa ${tenant}`, async () => {
        for (const { window, from, to, inclusive } of BOUNDS) {
          const expected = await one(
            `SELECT count(*)::int AS n,
                    coalesce(sum(total) FILTER (WHERE estado <> 'X'), 0)::text AS importe,
                    count(*) FILTER (WHERE estado = 'P')::int AS pendientes
             FROM ventas_pedido WHERE empresa_id = $1 AND creado >= $2 AND (creado < $3 OR ($4 AND creado = $3))`,
            [tenant, from, to, inclusive],
          );
          const count = await run(VENTAS, { model: 'pedido', measure: 'pedidos', window }, tenant);
          expect(datos(count), JSON.stringify(window)).toEqual({ count: expected.n });
          const importe = await run(VENTAS, { model: 'pedido', measure: 'importe', window }, tenant);
          expect(datos(importe).total, JSON.stringify(window)).toBe(Number(expected.importe));
          const pendientes = await run(VENTAS, { model: 'pedido', measure: 'pedidos', window, filters: [{ dimension: 'estado', equals: 'P' }] }, tenant);
          expect(datos(pendientes).count).toBe(expected.pendientes);
        }
      });

      it(`applies filters (equals, in, not_in) and every measure type for empresa ${tenant}`, async () => {
        const expected = await one(
          `SELECT count(*) FILTER (WHERE estado = 'P')::int AS p,
                  count(*) FILTER (WHERE estado IN ('E', 'C'))::int AS ec,
                  count(*) FILTER (WHERE estado NOT IN ('X'))::int AS no_x,
                  avg(total) FILTER (WHERE estado <> 'X')::float8 AS ticket,
                  count(DISTINCT cliente_id)::int AS clientes,
                  count(*)::int AS todos
           FROM ventas_pedido WHERE empresa_id = $1`,
          [tenant],
        );
        const count = (filters: SemanticQuery['filters']) => run(VENTAS, { model: 'pedido', measure: 'pedidos', filters }, tenant).then(datos);
        expect(await count([{ dimension: 'estado', equals: 'P' }])).toEqual({ count: expected.p });
        expect(await count([{ dimension: 'estado', in: ['E', 'C'] }])).toEqual({ count: expected.ec });
        expect(await count([{ dimension: 'estado', not_in: ['X'] }])).toEqual({ count: expected.no_x });
        const ticket = datos(await run(VENTAS, { model: 'pedido', measure: 'ticket_medio' }, tenant));
        expect(ticket.value).toBeCloseTo(Number(expected.ticket), 9);
        expect(ticket.count).toBe(expected.no_x);
        expect(datos(await run(VENTAS, { model: 'pedido', measure: 'clientes_distintos' }, tenant)).value).toBe(expected.clientes);
        expect(datos(await run(VENTAS, { model: 'cliente', measure: 'clientes' }, tenant))).toEqual({ count: 5 });
      });

      it(`breaks down by estado and by the joined customer's name for empresa ${tenant}`, async () => {
        const byEstado = await db.query<{ estado: string; n: number }>(
          'SELECT estado, count(*)::int AS n FROM ventas_pedido WHERE empresa_id = $1 GROUP BY estado ORDER BY n DESC, estado',
          [tenant],
        );
        const answer = await run(VENTAS, { model: 'pedido', measure: 'pedidos', group_by: 'estado' }, tenant);
        expect(rowsOf(answer).map((r) => [r.estado, r.pedidos])).toEqual(byEstado.map((r) => [r.estado, r.n]));

        // The customer is read through its own tenant filter: a pedido pointing at another
        // empresa's customer groups under "no name", never under that customer's name.
        const top = await db.query<{ nombre: string | null; importe: string; n: number }>(
          `SELECT c.nombre, sum(p.total)::text AS importe, count(*)::int AS n
           FROM ventas_pedido p LEFT JOIN ventas_cliente c ON c.id = p.cliente_id AND c.empresa_id = $1
           WHERE p.empresa_id = $1 AND p.estado <> 'X' AND p.creado >= $2 AND p.creado <= $3
           GROUP BY c.nombre ORDER BY sum(p.total) DESC, c.nombre NULLS LAST LIMIT 5`,
          [tenant, YEAR.from, YEAR.to],
        );
        const topAnswer = await run(VENTAS, { model: 'pedido', measure: 'importe', group_by: 'cliente.nombre', order: 'desc', limit: 5, window: YEAR.window }, tenant);
        expect(rowsOf(topAnswer).map((r) => [r['cliente.nombre'], r.importe, r.count])).toEqual(top.map((r) => [r.nombre, Number(r.importe), r.n]));
        expect(top.length).toBeGreaterThan(1);
        const bottom = await db.query<{ nombre: string | null; n: number }>(
          `SELECT c.nombre, count(*)::int AS n FROM ventas_pedido p LEFT JOIN ventas_cliente c ON c.id = p.cliente_id AND c.empresa_id = $1
           WHERE p.empresa_id = $1 GROUP BY c.nombre ORDER BY n ASC, c.nombre NULLS LAST LIMIT 3`,
          [tenant],
        );
        const bottomAnswer = await run(VENTAS, { model: 'pedido', measure: 'pedidos', group_by: 'cliente.nombre', order: 'asc', limit: 3 }, tenant);
        expect(rowsOf(bottomAnswer).map((r) => [r['cliente.nombre'], r.pedidos])).toEqual(bottom.map((r) => [r.nombre, r.n]));
      });

      it(`buckets a series in Madrid's calendar for empresa ${tenant}`, async () => {
        const raw = await db.query<{ creado: unknown }>('SELECT creado FROM ventas_pedido WHERE empresa_id = $1', [tenant]);
        const days = raw.map((r) => localDay(new Date(r.creado as string | Date)));
        const expectMonths = new Map<string, number>();
        for (const day of days.filter((d) => d >= '2026-01-01' && d <= '2026-05-15')) {
          const month = `${day.slice(0, 7)}-01`;
          expectMonths.set(month, (expectMonths.get(month) ?? 0) + 1);
        }
        const months = await run(VENTAS, { model: 'pedido', measure: 'pedidos', series: { dimension: 'creado', granularity: 'month' }, window: YEAR.window }, tenant);
        expect(rowsOf(months).map((r) => [r.creado, r.pedidos])).toEqual(fillBuckets(expectMonths, 'month'));
        // Per day over all 500 days: gaps read 0, and only the newest 400 days are listed.
        const perDay = new Map<string, number>();
        for (const day of days) perDay.set(day, (perDay.get(day) ?? 0) + 1);
        const filled = fillBuckets(perDay, 'day');
        expect(filled.length).toBeGreaterThan(400);
        const all = await run(VENTAS, { model: 'pedido', measure: 'pedidos', series: { dimension: 'creado', granularity: 'day' } }, tenant);
        expect((all.datos as { truncated?: boolean }).truncated).toBe(true);
        expect(rowsOf(all).map((r) => [r.creado, r.pedidos])).toEqual(filled.slice(-400));
        expect(all.respuesta.split('\n')[0]).toBe('Pedidos por día (últimos 400):');
        expect(all.respuesta.split('\n')).toHaveLength(401);
      });

      it(`lists the latest orders with their customer for empresa ${tenant}`, async () => {
        const expected = await db.query<{ id: string | number; nombre: string | null }>(
          `SELECT p.id, c.nombre FROM ventas_pedido p LEFT JOIN ventas_cliente c ON c.id = p.cliente_id AND c.empresa_id = p.empresa_id
           WHERE p.empresa_id = $1 ORDER BY p.creado DESC, p.id DESC LIMIT 5`,
          [tenant],
        );
        const answer = await run(VENTAS, { model: 'pedido', latest: { limit: 5 } }, tenant);
        expect(rowsOf(answer).map((r) => [r.id, r['cliente.nombre']])).toEqual(expected.map((r) => [Number(r.id), r.nombre]));
        for (const row of rowsOf(answer)) expect(typeof row.creado === 'string' && !Number.isNaN(Date.parse(row.creado))).toBe(true);
      });
    }

    it('never answers one empresa with another empresa’s rows (every query shape)', async () => {
      for (const tenant of TENANTS) {
        const others = Object.entries(VENTAS_NAMES).filter(([id]) => Number(id) !== tenant).map(([, name]) => name);
        for (const query of enumerateQueries(VENTAS)) {
          const answer = await run(VENTAS, query, tenant);
          const text = `${answer.respuesta} ${JSON.stringify(answer.datos)}`;
          for (const name of others) expect(text, `${JSON.stringify(query)} for ${tenant}`).not.toContain(`${name} cliente`);
        }
      }
      // Empresa 3's pedido 9001 names empresa 1's customer; it is counted, with no name.
      const groups = rowsOf(await run(VENTAS, { model: 'pedido', measure: 'importe', group_by: 'cliente.nombre' }, 3));
      expect(groups).toContainEqual({ 'cliente.nombre': null, importe: 999.99, count: 1 });
    });

    it('adds up to the whole table over all tenants, and to nothing for a tenant without rows', async () => {
      const total = await one('SELECT count(*)::int AS n, sum(total)::text AS s FROM ventas_pedido WHERE estado <> $1', ['X']);
      let count = 0;
      let sum = 0;
      for (const tenant of TENANTS) {
        count += Number(datos(await run(VENTAS, { model: 'pedido', measure: 'pedidos', filters: [{ dimension: 'estado', not_in: ['X'] }] }, tenant)).count);
        sum += Number(datos(await run(VENTAS, { model: 'pedido', measure: 'importe' }, tenant)).total);
      }
      expect(count).toBe(total.n);
      expect(sum).toBeCloseTo(Number(total.s), 6);
      expect(datos(await run(VENTAS, { model: 'pedido', measure: 'importe' }, 99))).toEqual({ total: 0, count: 0 });
    });
  });

  describe('crm: tenancy through the account, a shared country table', () => {
    for (const tenant of TENANTS) {
      it(`answers organization ${tenant} from its accounts' rows only`, async () => {
        const opp = await one(
          `SELECT count(*) FILTER (WHERE o.etapa = 'abierta')::int AS abiertas,
                  coalesce(sum(o.importe) FILTER (WHERE o.etapa = 'ganada' AND o.fecha_cierre >= '2026-04-01T00:00:00+02:00' AND o.fecha_cierre <= $2), 0)::text AS ganado_trimestre
           FROM crm_oportunidad o JOIN crm_cuenta c ON c.id = o.cuenta_id WHERE c.organizacion_id = $1`,
          [tenant, NOW.toISOString()],
        );
        expect(datos(await run(CRM, { model: 'oportunidad', measure: 'oportunidades', filters: [{ dimension: 'etapa', equals: 'abierta' }] }, tenant))).toEqual({ count: opp.abiertas });
        expect(datos(await run(CRM, { model: 'oportunidad', measure: 'importe_ganado', window: { kind: 'this_quarter' } }, tenant)).total).toBe(Number(opp.ganado_trimestre));

        const fac = await one(
          `SELECT coalesce(sum(f.total) FILTER (WHERE f.estado = 'emitida'), 0)::text AS pendiente, count(*)::int AS n
           FROM crm_factura f JOIN crm_cuenta c ON c.id = f.cuenta_id WHERE c.organizacion_id = $1`,
          [tenant],
        );
        expect(datos(await run(CRM, { model: 'factura', measure: 'pendiente_de_cobro' }, tenant)).total).toBe(Number(fac.pendiente));
        expect(datos(await run(CRM, { model: 'factura', measure: 'facturas' }, tenant))).toEqual({ count: fac.n });

        const mx = await one(
          "SELECT count(*)::int AS n FROM crm_cuenta c JOIN crm_pais p ON p.id = c.pais_id WHERE c.organizacion_id = $1 AND p.codigo = 'MX'",
          [tenant],
        );
        expect(datos(await run(CRM, { model: 'cuenta', measure: 'cuentas', filters: [{ dimension: 'pais.codigo', equals: 'MX' }] }, tenant))).toEqual({ count: mx.n });

        const top = await db.query<{ nombre: string; s: string }>(
          `SELECT c.nombre, sum(o.importe)::text AS s FROM crm_oportunidad o JOIN crm_cuenta c ON c.id = o.cuenta_id
           WHERE c.organizacion_id = $1 AND o.etapa = 'ganada' AND o.fecha_cierre >= $2 AND o.fecha_cierre <= $3
           GROUP BY c.nombre ORDER BY sum(o.importe) DESC, c.nombre LIMIT 10`,
          [tenant, YEAR.from, YEAR.to],
        );
        const topAnswer = await run(CRM, { model: 'oportunidad', measure: 'importe_ganado', group_by: 'cuenta.nombre', order: 'desc', limit: 10, window: YEAR.window }, tenant);
        expect(rowsOf(topAnswer).map((r) => [r['cuenta.nombre'], r.importe_ganado])).toEqual(top.map((r) => [r.nombre, Number(r.s)]));

        const invoices = await db.query<{ emitida: unknown; total: string }>(
          "SELECT f.emitida, f.total::text AS total FROM crm_factura f JOIN crm_cuenta c ON c.id = f.cuenta_id WHERE c.organizacion_id = $1 AND f.estado IN ('emitida', 'pagada')",
          [tenant],
        );
        const months = new Map<string, number>();
        for (const invoice of invoices) {
          const month = `${localDay(new Date(invoice.emitida as string | Date)).slice(0, 7)}-01`;
          months.set(month, Math.round(((months.get(month) ?? 0) + Number(invoice.total)) * 100) / 100);
        }
        const series = await run(CRM, { model: 'factura', measure: 'facturado', series: { dimension: 'emitida', granularity: 'month' } }, tenant);
        expect(rowsOf(series).map((r) => [r.emitida, r.facturado])).toEqual(fillBuckets(months, 'month'));

        const latest = await db.query<{ id: string | number }>(
          'SELECT f.id FROM crm_factura f JOIN crm_cuenta c ON c.id = f.cuenta_id WHERE c.organizacion_id = $1 ORDER BY f.emitida DESC, f.id DESC LIMIT 5',
          [tenant],
        );
        expect(rowsOf(await run(CRM, { model: 'factura', latest: { limit: 5 } }, tenant)).map((r) => r.id)).toEqual(latest.map((r) => Number(r.id)));
      });
    }

    it('never answers one organization with another organization’s rows (every query shape)', async () => {
      for (const tenant of TENANTS) {
        const others = Object.entries(CRM_NAMES).filter(([id]) => Number(id) !== tenant).map(([, name]) => name);
        for (const query of enumerateQueries(CRM)) {
          const answer = await run(CRM, query, tenant);
          const text = `${answer.respuesta} ${JSON.stringify(answer.datos)}`;
          for (const name of others) expect(text, `${JSON.stringify(query)} for ${tenant}`).not.toContain(`${name} cuenta`);
        }
      }
      const all = await one('SELECT count(*)::int AS n FROM crm_oportunidad', []);
      let sum = 0;
      for (const tenant of TENANTS) sum += Number(datos(await run(CRM, { model: 'oportunidad', measure: 'oportunidades' }, tenant)).count);
      expect(sum).toBe(all.n);
    });
  });

  describe('phrasing', () => {
    it('reads counts, zero, singular, totals and lists naturally in both languages', async () => {
      const pending = await one("SELECT count(*)::int AS n FROM ventas_pedido WHERE empresa_id = 2 AND estado = 'P'", []);
      const es = await run(VENTAS, { model: 'pedido', measure: 'pedidos', filters: [{ dimension: 'estado', equals: 'P' }] }, 2, 'es');
      expect(es.respuesta).toBe(`Hay ${pending.n} pedidos pendientes.`);
      const en = await run(VENTAS, { model: 'pedido', measure: 'pedidos', filters: [{ dimension: 'estado', equals: 'P' }] }, 2, 'en');
      expect(en.respuesta).toBe(`There are ${pending.n} pending orders.`);
      // Empresa 1: pedido 903 is the only completed one today in Madrid, 904 the only cancelled yesterday.
      const today: SemanticQuery = { model: 'pedido', measure: 'pedidos', filters: [{ dimension: 'estado', equals: 'C' }], window: { kind: 'today' } };
      expect((await run(VENTAS, today, 1, 'es')).respuesta).toBe('Hay 1 pedido completado hoy.');
      expect((await run(VENTAS, today, 1, 'en')).respuesta).toBe('There is 1 completed order today.');
      const none: SemanticQuery = { model: 'pedido', measure: 'pedidos', filters: [{ dimension: 'estado', equals: 'X' }], window: { kind: 'today' } };
      expect((await run(VENTAS, none, 1, 'es')).respuesta).toBe('No hay pedidos cancelados hoy.');
      expect((await run(VENTAS, none, 1, 'en')).respuesta).toBe('There are no cancelled orders today.');
      const sum = await one(
        "SELECT count(*)::int AS n, sum(total)::float8 AS s FROM ventas_pedido WHERE empresa_id = 1 AND estado <> 'X' AND creado >= '2026-05-08T12:00:00Z' AND creado <= $1",
        [NOW.toISOString()],
      );
      const money = (lang: 'es-ES' | 'en-US') => new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(Number(sum.s));
      const week: SemanticQuery = { model: 'pedido', measure: 'importe', window: { kind: 'last_days', days: 7 } };
      expect((await run(VENTAS, week, 1, 'es')).respuesta).toBe(`Importe de ${sum.n} pedidos en los últimos 7 días: ${money('es-ES')}.`);
      expect((await run(VENTAS, week, 1, 'en')).respuesta).toBe(`Amount of ${sum.n} orders in the last 7 days: ${money('en-US')}.`);
      const breakdown = await run(VENTAS, { model: 'pedido', measure: 'pedidos', group_by: 'estado' }, 1, 'es');
      expect(breakdown.respuesta).toMatch(/^Pedidos por estado: (Pendiente|Enviado|Completado|Cancelado) \d+, /);
      const latest = await run(VENTAS, { model: 'pedido', latest: { limit: 1 }, filters: [{ dimension: 'estado', equals: 'X' }] }, 1, 'es');
      expect(latest.respuesta).toBe('Pedido cancelado más reciente:\n#904 Cancelado, 2026-05-14, 400,00, Norte cliente 4');
      const series = await run(CRM, { model: 'factura', measure: 'facturas', series: { dimension: 'emitida', granularity: 'quarter' } }, 1, 'en');
      expect(series.respuesta).toMatch(/^Invoices per quarter:\n\d{4}-T[1-4]: \d+/);
    });
  });

  describe('schema per tenant', () => {
    it("reads each tenant's own schema", async () => {
      await db.exec(`
        CREATE SCHEMA norte; CREATE SCHEMA sur;
        CREATE TABLE norte.tienda_pedido (id int PRIMARY KEY, estado text NOT NULL);
        CREATE TABLE sur.tienda_pedido (id int PRIMARY KEY, estado text NOT NULL);
        INSERT INTO norte.tienda_pedido SELECT i, 'P' FROM generate_series(1, 4) AS i;
        INSERT INTO sur.tienda_pedido SELECT i, 'P' FROM generate_series(1, 9) AS i;`);
      const project: SemanticModel = {
        version: 1,
        examples: [],
        models: [
          {
            name: 'pedido',
            table: 'tienda_pedido',
            primary_key: 'id',
            words: { es: ['pedido', 'pedidos'], en: ['order', 'orders'] },
            tenancy: { schema_per_tenant: true },
            columns: ['id', 'estado'],
            dimensions: [],
            measures: [{ name: 'pedidos', type: 'count', words: { es: ['cuántos'] } }],
            joins: [],
          },
        ],
      };
      expect((await run(project, { model: 'pedido', measure: 'pedidos' }, 'norte')).datos).toEqual({ count: 4 });
      expect((await run(project, { model: 'pedido', measure: 'pedidos' }, 'sur')).datos).toEqual({ count: 9 });
      await expect(run(project, { model: 'pedido', measure: 'pedidos' }, 'sur"; --')).rejects.toThrow(/not a schema name/);
    });
  });

  describe('date and local-timestamp columns (column_type)', () => {
    // 22:00 on Thursday 14 May in Bogotá, already Friday 03:00 in UTC: a date or a local time read
    // as an instant in the server's zone would land in the wrong day.
    const LATE = new Date('2026-05-15T03:00:00Z');
    const BOGOTA = 'America/Bogota';
    const model = (name: string, column: string, columnType: 'date' | 'timestamp'): SemanticModel['models'][number] => ({
      name,
      table: 'agenda_evento',
      primary_key: 'id',
      words: { es: [name], en: [name] },
      tenancy: { column: 'empresa_id' },
      columns: ['id', 'empresa_id', 'dia', 'registrado'],
      dimensions: [{ name: column, column, type: 'time', granularities: ['day'], column_type: columnType, primary: true }],
      measures: [{ name: `${name}s`, type: 'count', words: { es: ['cuántos'] } }],
      joins: [],
    });
    const project: SemanticModel = { version: 1, examples: [], models: [model('por_dia', 'dia', 'date'), model('por_hora', 'registrado', 'timestamp')] };
    const at = (query: SemanticQuery) => runSemanticQuery(db, project, query, { tenant: 1, now: LATE, timeZone: BOGOTA }, 'es');

    beforeAll(async () => {
      await db.exec(`
        CREATE TABLE agenda_evento (id int PRIMARY KEY, empresa_id int NOT NULL, dia date NOT NULL, registrado timestamp NOT NULL);
        INSERT INTO agenda_evento VALUES
          (1, 1, '2026-05-13', '2026-05-13 23:00'),  -- yesterday in Bogotá
          (2, 1, '2026-05-14', '2026-05-14 21:30'),  -- today, before 22:00
          (3, 1, '2026-05-15', '2026-05-14 23:30'),  -- tomorrow's date / a local time after now
          (4, 2, '2026-05-14', '2026-05-14 21:00');  -- another tenant`);
    });

    it('counts a date column in the calendar of APP_TIMEZONE', async () => {
      expect((await at({ model: 'por_dia', measure: 'por_dias', window: { kind: 'today' } })).datos).toEqual({ count: 1 });
      expect((await at({ model: 'por_dia', measure: 'por_dias', window: { kind: 'yesterday' } })).datos).toEqual({ count: 1 });
      expect((await at({ model: 'por_dia', measure: 'por_dias', window: { kind: 'this_month' } })).datos).toEqual({ count: 2 });
      const series = await at({ model: 'por_dia', measure: 'por_dias', series: { dimension: 'dia', granularity: 'day' }, window: { kind: 'this_month' } });
      expect(rowsOf(series).map((r) => [r.dia, r.por_dias])).toEqual([['2026-05-13', 1], ['2026-05-14', 1]]);
    });

    it('counts a timestamp without time zone as local time in APP_TIMEZONE', async () => {
      expect((await at({ model: 'por_hora', measure: 'por_horas', window: { kind: 'today' } })).datos).toEqual({ count: 1 });
      expect((await at({ model: 'por_hora', measure: 'por_horas', window: { kind: 'yesterday' } })).datos).toEqual({ count: 1 });
      // The last 24 hours: since 22:00 yesterday, local time.
      expect((await at({ model: 'por_hora', measure: 'por_horas', window: { kind: 'last_days', days: 1 } })).datos).toEqual({ count: 2 });
      const series = await at({ model: 'por_hora', measure: 'por_horas', series: { dimension: 'registrado', granularity: 'day' } });
      expect(rowsOf(series).map((r) => [r.registrado, r.por_horas])).toEqual([['2026-05-13', 1], ['2026-05-14', 2]]);
    });
  });

  describe('the demo model answers like the catalogue it replaced (its SQL, written out)', () => {
    const WINDOW_TZ = 'America/Bogota';
    const model = (query: SemanticQuery, project: string) => runSemanticQuery(db, DEMO, query, { tenant: project, now: NOW, timeZone: WINDOW_TZ }, 'es');
    // The removed catalogue's windows: calendar units start at local midnight in WINDOW_TZ ($2).
    const WINDOW_SQL: Record<TimeWindow['kind'], string> = {
      today: "created_at >= (date_trunc('day', $1::timestamptz AT TIME ZONE $2) AT TIME ZONE $2) AND created_at <= $1::timestamptz",
      yesterday:
        "created_at >= ((date_trunc('day', $1::timestamptz AT TIME ZONE $2) - interval '1 day') AT TIME ZONE $2) AND created_at < (date_trunc('day', $1::timestamptz AT TIME ZONE $2) AT TIME ZONE $2)",
      this_week: "created_at >= (date_trunc('week', $1::timestamptz AT TIME ZONE $2) AT TIME ZONE $2) AND created_at <= $1::timestamptz",
      this_month: "created_at >= (date_trunc('month', $1::timestamptz AT TIME ZONE $2) AT TIME ZONE $2) AND created_at <= $1::timestamptz",
      this_quarter: "created_at >= (date_trunc('quarter', $1::timestamptz AT TIME ZONE $2) AT TIME ZONE $2) AND created_at <= $1::timestamptz",
      this_year: "created_at >= (date_trunc('year', $1::timestamptz AT TIME ZONE $2) AT TIME ZONE $2) AND created_at <= $1::timestamptz",
      last_days: "created_at >= $1::timestamptz - interval '7 days' AND created_at <= $1::timestamptz",
    };
    const where = (project: string, window?: TimeWindow, status?: string) =>
      // (now and the zone are always bound, so each statement types them even when it has no window)
      [`project = '${project}'`, ...(window ? [WINDOW_SQL[window.kind]] : []), ...(status ? [`status = '${status}'`] : []), '$1::timestamptz IS NOT NULL AND $2::text IS NOT NULL'].join(' AND ');
    const sql = <T extends Record<string, unknown>>(text: string) => db.query<T>(text, [NOW.toISOString(), WINDOW_TZ]);

    for (const project of ['tienda_norte', 'dashboard_miempresa']) {
      it(`gives the same numbers for ${project}`, async () => {
        const windows: TimeWindow[] = [{ kind: 'today' }, { kind: 'yesterday' }, { kind: 'this_week' }, { kind: 'this_month' }, { kind: 'last_days', days: 7 }];
        for (const window of [undefined, ...windows]) {
          for (const status of [undefined, 'pending', 'cancelled'] as const) {
            const filters = status ? { filters: [{ dimension: 'status', equals: status }] } : {};
            const w = window ? { window } : {};
            const [expected] = await sql<{ n: number; total: string }>(
              `SELECT count(*)::int AS n, coalesce(sum(amount), 0)::text AS total FROM orders WHERE ${where(project, window, status)}`,
            );
            expect((await model({ model: 'orden', measure: 'ordenes', ...filters, ...w }, project)).datos).toEqual({ count: expected!.n });
            expect((await model({ model: 'orden', measure: 'importe', ...filters, ...w }, project)).datos).toEqual({ total: Number(expected!.total), count: expected!.n });
          }
          const byStatus = await sql<{ status: string; n: number }>(
            `SELECT status, count(*)::int AS n FROM orders WHERE ${where(project, window)} GROUP BY status ORDER BY n DESC, status`,
          );
          const rows = rowsOf(await model({ model: 'orden', measure: 'ordenes', group_by: 'status', ...(window ? { window } : {}) }, project));
          expect(rows.map((r) => [r.status, r.ordenes])).toEqual(byStatus.map((r) => [r.status, r.n]));
          const top = await sql<{ customer: string; total: string; n: number }>(
            `SELECT customer, sum(amount)::text AS total, count(*)::int AS n FROM orders WHERE ${where(project, window)} AND status <> 'cancelled'
             GROUP BY customer ORDER BY sum(amount) DESC, customer LIMIT 5`,
          );
          const topRows = rowsOf(await model({ model: 'orden', measure: 'importe_neto', group_by: 'customer', order: 'desc', limit: 5, ...(window ? { window } : {}) }, project));
          expect(topRows.map((r) => [r.customer, r.importe_neto, r.count])).toEqual(top.map((r) => [r.customer, Number(r.total), r.n]));
        }
        for (const status of [undefined, 'cancelled'] as const) {
          const latest = await sql<{ id: string; customer: string; status: string; amount: string; created_at: Date }>(
            `SELECT id, customer, status, amount, created_at FROM orders WHERE ${where(project, undefined, status)}
             ORDER BY created_at DESC, id DESC LIMIT 5`,
          );
          const rows = rowsOf(await model({ model: 'orden', latest: { limit: 5 }, ...(status ? { filters: [{ dimension: 'status', equals: status }] } : {}) }, project));
          expect(rows.map((r) => [r.id, r.customer, r.status, r.amount, r.created_at])).toEqual(
            latest.map((r) => [Number(r.id), r.customer, r.status, Number(r.amount), new Date(r.created_at).toISOString()]),
          );
        }
      });
    }
  });
});
