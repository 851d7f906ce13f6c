import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkQuery } from '../src/services/semantic-model/check.js';
import { canonical, checkExamples, createSemanticMatcher, type SemanticMatcher } from '../src/services/semantic-model/matcher.js';
import { parseSemanticModel } from '../src/services/semantic-model/parse.js';
import { semanticQuerySchema, type Language, type SemanticModel, type SemanticQuery } from '../src/services/semantic-model/schema.js';
import { CRM_POSITIVES, VENTAS_POSITIVES, type Positive } from './support/semantic-phrasings.js';

function load(file: string): SemanticModel {
  const parsed = parseSemanticModel(readFileSync(file, 'utf8'), { fileName: file });
  if (!parsed.ok) throw new Error(`${file}: ${JSON.stringify(parsed.errors)}`);
  return parsed.model;
}

type FollowUp = [first: string, followUp: string, expected: SemanticQuery | null];

/** Every produced query must be valid for the schema and answerable by the model. */
function expectAnswerable(model: SemanticModel, query: SemanticQuery): void {
  expect(semanticQuerySchema.parse(query)).toEqual(query);
  expect(checkQuery(model, query)).toEqual([]);
}

// ---------------------------------------------------------------------------------------------
// demo (models/demo.yaml): orden with status values, customer (free text), two sums (the net one ranks)
// ---------------------------------------------------------------------------------------------

const DEMO_POSITIVES: Positive[] = [
  ["¿Cuántas órdenes pendientes hay?", {model: 'orden', measure: 'ordenes', filters: [{dimension: 'status', equals: 'pending'}]}, 'es'],
  ["cuantas ordenes pendientes hay", {model: 'orden', measure: 'ordenes', filters: [{dimension: 'status', equals: 'pending'}]}, 'es'],
  ["¿¿CUÁNTAS ÓRDENES PENDIENTES??", {model: 'orden', measure: 'ordenes', filters: [{dimension: 'status', equals: 'pending'}]}, 'es'],
  ["compras despachadas esta semana", {model: 'orden', measure: 'ordenes', filters: [{dimension: 'status', equals: 'shipped'}], window: {kind: 'this_week'}}, 'es'],
  ["pedidos en tránsito", {model: 'orden', measure: 'ordenes', filters: [{dimension: 'status', equals: 'shipped'}]}, 'es'],
  ["pedidos sin enviar de hoy", {model: 'orden', measure: 'ordenes', filters: [{dimension: 'status', equals: 'pending'}], window: {kind: 'today'}}, 'es'],
  ["órdenes abiertas", {model: 'orden', measure: 'ordenes', filters: [{dimension: 'status', equals: 'pending'}]}, 'es'],
  ["número de órdenes entregadas este mes", {model: 'orden', measure: 'ordenes', filters: [{dimension: 'status', equals: 'delivered'}], window: {kind: 'this_month'}}, 'es'],
  ["cantidad de compras recibidas", {model: 'orden', measure: 'ordenes', filters: [{dimension: 'status', equals: 'delivered'}]}, 'es'],
  ["órdenes pendientes o enviadas", {model: 'orden', measure: 'ordenes', filters: [{dimension: 'status', in: ['pending', 'shipped']}]}, 'es'],
  ["importe de las órdenes entregadas", {model: 'orden', measure: 'importe', filters: [{dimension: 'status', equals: 'delivered'}]}, 'es'],
  ["¿Cuánto vendimos este mes?", {model: 'orden', measure: 'importe', window: {kind: 'this_month'}}, 'es'],
  ["facturación de hoy", {model: 'orden', measure: 'importe', window: {kind: 'today'}}, 'es'],
  ["ingresos de los últimos 7 días", {model: 'orden', measure: 'importe', window: {kind: 'last_days', days: 7}}, 'es'],
  ["monto de los pedidos cancelados", {model: 'orden', measure: 'importe', filters: [{dimension: 'status', equals: 'cancelled'}]}, 'es'],
  ["importe neto este mes", {model: 'orden', measure: 'importe_neto', window: {kind: 'this_month'}}, 'es'],
  ["ventas netas por mes", {model: 'orden', measure: 'importe_neto', series: {dimension: 'created_at', granularity: 'month'}}, 'es'],
  ["gasto por cliente", {model: 'orden', measure: 'importe_neto', group_by: 'customer'}, 'es'],
  ["órdenes por estado", {model: 'orden', measure: 'ordenes', group_by: 'status'}, 'es'],
  ["pedidos por estado de esta semana", {model: 'orden', measure: 'ordenes', window: {kind: 'this_week'}, group_by: 'status'}, 'es'],
  ["¿Cuántas órdenes hay en cada estado?", {model: 'orden', measure: 'ordenes', group_by: 'status'}, 'es'],
  ["importe por estado", {model: 'orden', measure: 'importe', group_by: 'status'}, 'es'],
  ["órdenes por cliente", {model: 'orden', measure: 'ordenes', group_by: 'customer'}, 'es'],
  ["órdenes por día este mes", {model: 'orden', measure: 'ordenes', window: {kind: 'this_month'}, series: {dimension: 'created_at', granularity: 'day'}}, 'es'],
  ["pedidos por semana", {model: 'orden', measure: 'ordenes', series: {dimension: 'created_at', granularity: 'week'}}, 'es'],
  ["importe mensual", {model: 'orden', measure: 'importe', series: {dimension: 'created_at', granularity: 'month'}}, 'es'],
  ["top 5 clientes por gasto", {model: 'orden', measure: 'importe_neto', group_by: 'customer', order: 'desc', limit: 5}, 'es'],
  ["mejores clientes", {model: 'orden', measure: 'importe_neto', group_by: 'customer', order: 'desc', limit: 5}, 'es'],
  ["los 3 mejores clientes por gasto este mes", {model: 'orden', measure: 'importe_neto', window: {kind: 'this_month'}, group_by: 'customer', order: 'desc', limit: 3}, 'es'],
  ["el mejor cliente por gasto", {model: 'orden', measure: 'importe_neto', group_by: 'customer', order: 'desc', limit: 1}, 'es'],
  ["últimas 5 órdenes", {model: 'orden', latest: {limit: 5}}, 'es'],
  ["últimos pedidos cancelados", {model: 'orden', filters: [{dimension: 'status', equals: 'cancelled'}], latest: {limit: 5}}, 'es'],
  ["el último pedido", {model: 'orden', latest: {limit: 1}}, 'es'],
  ["¿Cuántas órdenes este trimestre?", {model: 'orden', measure: 'ordenes', window: {kind: 'this_quarter'}}, 'es'],
  ["órdenes por hora", {model: 'orden', measure: 'ordenes', series: {dimension: 'created_at', granularity: 'hour'}}, 'es'],
  ["How many pending orders are there?", {model: 'orden', measure: 'ordenes', filters: [{dimension: 'status', equals: 'pending'}]}, 'en'],
  ["how many orders", {model: 'orden', measure: 'ordenes'}, 'en'],
  ["HOW MANY SHIPPED ORDERS THIS WEEK", {model: 'orden', measure: 'ordenes', filters: [{dimension: 'status', equals: 'shipped'}], window: {kind: 'this_week'}}, 'en'],
  ["orders awaiting shipment", {model: 'orden', measure: 'ordenes', filters: [{dimension: 'status', equals: 'pending'}]}, 'en'],
  ["orders on the way", {model: 'orden', measure: 'ordenes', filters: [{dimension: 'status', equals: 'shipped'}]}, 'en'],
  ["number of delivered orders in the last 30 days", {model: 'orden', measure: 'ordenes', filters: [{dimension: 'status', equals: 'delivered'}], window: {kind: 'last_days', days: 30}}, 'en'],
  ["count cancelled orders today", {model: 'orden', measure: 'ordenes', filters: [{dimension: 'status', equals: 'cancelled'}], window: {kind: 'today'}}, 'en'],
  ["revenue this month", {model: 'orden', measure: 'importe', window: {kind: 'this_month'}}, 'en'],
  ["amount of delivered orders", {model: 'orden', measure: 'importe', filters: [{dimension: 'status', equals: 'delivered'}]}, 'en'],
  ["net sales this week", {model: 'orden', measure: 'importe_neto', window: {kind: 'this_week'}}, 'en'],
  ["orders by status", {model: 'orden', measure: 'ordenes', group_by: 'status'}, 'en'],
  ["orders per status today", {model: 'orden', measure: 'ordenes', window: {kind: 'today'}, group_by: 'status'}, 'en'],
  ["orders by customer", {model: 'orden', measure: 'ordenes', group_by: 'customer'}, 'en'],
  ["orders per day this month", {model: 'orden', measure: 'ordenes', window: {kind: 'this_month'}, series: {dimension: 'created_at', granularity: 'day'}}, 'en'],
  ["revenue per week", {model: 'orden', measure: 'importe', series: {dimension: 'created_at', granularity: 'week'}}, 'en'],
  ["monthly revenue", {model: 'orden', measure: 'importe', series: {dimension: 'created_at', granularity: 'month'}}, 'en'],
  ["top 10 customers by spend", {model: 'orden', measure: 'importe_neto', group_by: 'customer', order: 'desc', limit: 10}, 'en'],
  ["top 3 customers by net sales this month", {model: 'orden', measure: 'importe_neto', window: {kind: 'this_month'}, group_by: 'customer', order: 'desc', limit: 3}, 'en'],
  ["latest 10 orders", {model: 'orden', latest: {limit: 10}}, 'en'],
  ["latest cancelled orders", {model: 'orden', filters: [{dimension: 'status', equals: 'cancelled'}], latest: {limit: 5}}, 'en'],
  ["the last order", {model: 'orden', latest: {limit: 1}}, 'en'],
  ["orders this year", {model: 'orden', measure: 'ordenes', window: {kind: 'this_year'}}, 'en'],
  ["orders this quarter", {model: 'orden', measure: 'ordenes', window: {kind: 'this_quarter'}}, 'en'],
  // Plural forms the model does not list: the plural rule of words.ts.
  ["montos de los pedidos cancelados", {model: 'orden', measure: 'importe', filters: [{dimension: 'status', equals: 'cancelled'}]}, 'es'],
  ["amounts of delivered orders", {model: 'orden', measure: 'importe', filters: [{dimension: 'status', equals: 'delivered'}]}, 'en'],
  ["valores de las órdenes pendientes", {model: 'orden', measure: 'importe', filters: [{dimension: 'status', equals: 'pending'}]}, 'es'],
  ["importes netos este mes", {model: 'orden', measure: 'importe_neto', window: {kind: 'this_month'}}, 'es'],
  // Smallest first.
  ["los 5 peores clientes por gasto", {model: 'orden', measure: 'importe_neto', group_by: 'customer', order: 'asc', limit: 5}, 'es'],
  ["bottom 3 customers by spend this month", {model: 'orden', measure: 'importe_neto', window: {kind: 'this_month'}, group_by: 'customer', order: 'asc', limit: 3}, 'en'],
];

const DEMO_NEGATIVES: string[] = [
  "hola",
  "gracias",
  "¿qué es una orden?",
  "¿por qué hay órdenes canceladas?",
  "explícame qué es una orden pendiente",
  "¿cuántos clientes hay?",
  "clientes",
  "fecha",
  "órdenes por fecha",
  "pedidos de la semana pasada",
  "how do I cancel an order",
  "why are orders late",
  "orders last week",
  "top 5 productos",
  "cuéntame un chiste",
  "importe y número de órdenes",
  "órdenes por estado y por cliente",
  "¿cuánto?",
  "pedidos",
  "pendientes",
  "órdenes de enero",
  "what is the weather like today",
  "borra las órdenes canceladas",
  "¿cuántas órdenes pendientes hay por estado?",
  "últimas 5 órdenes por estado",
  // Both directions at once.
  "los mejores y peores clientes por gasto",
  // importe_neto excludes cancelled orders.
  "importe neto de las órdenes canceladas",
];

const DEMO_FOLLOW_UPS: FollowUp[] = [
  ['¿Cuántas órdenes pendientes hay?', '¿y las enviadas?', { model: 'orden', measure: 'ordenes', filters: [{ dimension: 'status', equals: 'shipped' }] }],
  ['¿Cuántas órdenes pendientes hay?', 'and this month?', { model: 'orden', measure: 'ordenes', filters: [{ dimension: 'status', equals: 'pending' }], window: { kind: 'this_month' } }],
  ['¿Cuántas órdenes pendientes hay?', '¿y por cliente?', { model: 'orden', measure: 'ordenes', filters: [{ dimension: 'status', equals: 'pending' }], group_by: 'customer' }],
  ['¿Cuántas órdenes pendientes hay?', '¿y por día?', { model: 'orden', measure: 'ordenes', filters: [{ dimension: 'status', equals: 'pending' }], series: { dimension: 'created_at', granularity: 'day' } }],
  ['¿Cuántas órdenes pendientes hay?', 'what about shipped ones?', { model: 'orden', measure: 'ordenes', filters: [{ dimension: 'status', equals: 'shipped' }] }],
  ['órdenes pendientes esta semana', '¿y ayer?', { model: 'orden', measure: 'ordenes', filters: [{ dimension: 'status', equals: 'pending' }], window: { kind: 'yesterday' } }],
  ['órdenes por estado', '¿y hoy?', { model: 'orden', measure: 'ordenes', window: { kind: 'today' }, group_by: 'status' }],
  ['últimas 5 órdenes', '¿y las canceladas?', { model: 'orden', filters: [{ dimension: 'status', equals: 'cancelled' }], latest: { limit: 5 } }],
  ['top 5 clientes por gasto', 'and this week?', { model: 'orden', measure: 'importe_neto', window: { kind: 'this_week' }, group_by: 'customer', order: 'desc', limit: 5 }],
  ['importe de las órdenes entregadas', '¿y el importe neto?', { model: 'orden', measure: 'importe_neto', filters: [{ dimension: 'status', equals: 'delivered' }] }],
  // A breakdown by status filtered to one status says nothing more.
  ['órdenes por estado', '¿y las enviadas?', null],
  ['¿Cuántas órdenes pendientes hay?', 'hola', null],
  ['¿Cuántas órdenes pendientes hay?', '¿y cuántos clientes?', null],
  ['¿Cuántas órdenes pendientes hay?', '¿y?', null],
  ['últimas 5 órdenes', '¿y por estado?', null],
  ['¿Cuántas órdenes pendientes hay?', '¿y la semana pasada?', null],
];

// ---------------------------------------------------------------------------------------------
// ventas (Django sales: codes P/E/C/X, join cliente)
// ---------------------------------------------------------------------------------------------

const VENTAS_NEGATIVES: string[] = [
  "hola",
  "explícame qué es un pedido",
  "¿por qué hay tantos pedidos cancelados?",
  "pedidos",
  "pendientes",
  "¿cuántos hay?",
  "clientes",
  "top 5 productos",
  "pedidos de la semana pasada",
  "pedidos del año pasado",
  "borra los pedidos cancelados",
  "how do I cancel an order",
  "what is a pending order",
  "why are orders cancelled",
  "pedidos por fecha",
  "nombre de los clientes",
  "clientes pendientes",
  "¿cuántos clientes pendientes hay?",
  "importe y ticket medio",
  "¿cuántos pedidos y cuánto importe?",
  "pedidos por estado y por cliente",
  "top 0 clientes",
  "últimos 5 pedidos por estado",
  "pedidos por hora",
  "ventas de Juan",
  "pedidos de 2024",
  "mejores clientes del mes",
  // importe excludes cancelled orders: asking it of cancelled orders would answer 0.
  "importe de los pedidos cancelados",
  "total de pedidos cancelados",
];

const VENTAS_FOLLOW_UPS: FollowUp[] = [
  ['¿Cuántos pedidos pendientes hay?', '¿y los enviados?', { model: 'pedido', measure: 'pedidos', filters: [{ dimension: 'estado', equals: 'E' }] }],
  ['¿Cuántos pedidos pendientes hay?', '¿y por cliente?', { model: 'pedido', measure: 'pedidos', filters: [{ dimension: 'estado', equals: 'P' }], group_by: 'cliente.nombre' }],
  ['ventas de hoy', 'and yesterday?', { model: 'pedido', measure: 'importe', window: { kind: 'yesterday' } }],
  ['top 5 clientes por importe', '¿y este mes?', { model: 'pedido', measure: 'importe', window: { kind: 'this_month' }, group_by: 'cliente.nombre', order: 'desc', limit: 5 }],
  ['ventas por mes', '¿y por semana?', { model: 'pedido', measure: 'importe', series: { dimension: 'creado', granularity: 'week' } }],
  ['¿Cuántos clientes hay?', '¿y los pendientes?', null],
  // importe excludes cancelled orders.
  ['ventas de hoy', '¿y los cancelados?', null],
];

// ---------------------------------------------------------------------------------------------
// crm (accounts, shared countries, opportunities and invoices through the account)
// ---------------------------------------------------------------------------------------------

const CRM_NEGATIVES: string[] = [
  "hola",
  "¿cuántas hay?",
  "top 10 cuentas",
  "estado",
  "¿cuántos países hay?",
  "países",
  "facturas de México",
  "oportunidades de España",
  "oportunidades abiertas y facturas pagadas",
  "¿por qué perdemos tratos?",
  "explícame qué es una oportunidad",
  "what is an invoice",
  "how do I create an invoice",
  "invoices last week",
  "facturas del mes pasado",
  "cuentas por día",
  "importe de facturas",
  "nombre",
  "number of",
  "top 5 países",
  "últimas oportunidades ganadas por etapa",
  "número de tratos ganados",
  // Two sums on factura: "total" names neither.
  "total de facturas",
  // pendiente_de_cobro counts issued invoices only.
  "pendiente de cobro de facturas pagadas",
];

const CRM_FOLLOW_UPS: FollowUp[] = [
  ['¿Cuántas oportunidades abiertas hay?', '¿y las ganadas?', { model: 'oportunidad', measure: 'oportunidades', filters: [{ dimension: 'etapa', equals: 'ganada' }] }],
  ['facturas pagadas', '¿y por cuenta?', { model: 'factura', measure: 'facturas', filters: [{ dimension: 'estado', equals: 'pagada' }], group_by: 'cuenta.nombre' }],
  ['cuentas de México', '¿y de España?', { model: 'cuenta', measure: 'cuentas', filters: [{ dimension: 'pais.codigo', equals: 'ES' }] }],
  ['¿Cuántas facturas hay?', '¿y las de este trimestre?', { model: 'factura', measure: 'facturas', window: { kind: 'this_quarter' } }],
  ['¿Cuántas facturas hay?', '¿y las ganadas?', null],
];

const MODELS: Array<{ name: string; file: string; positives: Positive[]; negatives: string[]; followUps: FollowUp[] }> = [
  { name: 'demo', file: 'models/demo.yaml', positives: DEMO_POSITIVES, negatives: DEMO_NEGATIVES, followUps: DEMO_FOLLOW_UPS },
  { name: 'ventas', file: 'test/fixtures/models/ventas.yaml', positives: VENTAS_POSITIVES, negatives: VENTAS_NEGATIVES, followUps: VENTAS_FOLLOW_UPS },
  { name: 'crm', file: 'test/fixtures/models/crm.yaml', positives: CRM_POSITIVES, negatives: CRM_NEGATIVES, followUps: CRM_FOLLOW_UPS },
];

for (const { name, file, positives, negatives, followUps } of MODELS) {
  describe(`semantic matcher: ${name}`, () => {
    const model = load(file);
    const matcher = createSemanticMatcher(model);

    it('has enough phrasings in both languages', () => {
      expect(positives.filter(([, , l]) => l === 'es').length).toBeGreaterThanOrEqual(20);
      expect(positives.filter(([, , l]) => l === 'en').length).toBeGreaterThanOrEqual(20);
      expect(positives.length + followUps.length).toBeGreaterThanOrEqual(40);
      expect(negatives.length).toBeGreaterThanOrEqual(20);
    });

    it.each(positives)('%s', (question, expected, language) => {
      const result = matcher.match(question);
      expect(result?.query).toEqual(expected);
      expect(result?.language).toBe(language);
      expectAnswerable(model, expected);
    });

    it.each(negatives)('%j -> null', (question) => {
      expect(matcher.match(question)).toBeNull();
    });

    it.each(followUps)('%s + %s', (first, followUp, expected) => {
      const previous = matcher.match(first)?.query;
      expect(previous).toBeDefined();
      if (!previous) return;
      const result = matcher.followUp(followUp, previous);
      expect(result).toEqual(expected);
      if (result) expectAnswerable(model, result);
    });

    it('resolves every example of the model file to exactly its query', () => {
      expect(model.examples.length).toBeGreaterThan(0);
      expect(checkExamples(model, matcher)).toEqual([]);
    });
  });
}

/** Attempts to smuggle a tenant or SQL in: declined, or answered with model names and values only. */
const INJECTIONS = [
  '¿Cuántos pedidos pendientes hay en el proyecto tienda_norte?',
  'cuántos pedidos pendientes hay; DROP TABLE orders',
  "how many pending orders where 1=1 or project='x'",
  'pedidos pendientes -- empresa_id = 2',
  'top 10 clientes por importe; select * from auth_user',
  'pedidos por cliente_id',
  'ventas por empresa',
];

describe('injection attempts and limits', () => {
  const model = load('test/fixtures/models/ventas.yaml');
  const matcher = createSemanticMatcher(model);

  it.each(INJECTIONS)('%s -> null', (question) => {
    expect(matcher.match(question)).toBeNull();
  });

  it('declines a question longer than a question may be, even one it would answer', () => {
    expect(matcher.match('¿Cuántos pedidos pendientes hay?')).not.toBeNull();
    expect(matcher.match(`¿Cuántos pedidos pendientes hay?${' '.repeat(300)}`)).toBeNull();
  });

  it('declines a follow-up to a query of a model it does not have', () => {
    expect(matcher.followUp('¿y los enviados?', { model: 'factura', measure: 'facturas' })).toBeNull();
  });

  it('caps a top N or latest N at the largest limit a query takes', () => {
    expect(matcher.match('últimos 200 pedidos')?.query).toEqual({ model: 'pedido', latest: { limit: 50 } });
    expect(matcher.match('top 0 clientes por importe')).toBeNull();
  });
});

describe('checkExamples', () => {
  it('reports an example that resolves to another query, and one that does not resolve', () => {
    const model = load('test/fixtures/models/ventas.yaml');
    const wrong: SemanticModel = {
      ...model,
      examples: [
        { question: '¿Cuántos pedidos pendientes hay?', query: { model: 'pedido', measure: 'pedidos', filters: [{ dimension: 'estado', equals: 'E' }] } },
        { question: '¿Por qué bajaron las ventas?', query: { model: 'pedido', measure: 'importe' } },
        { question: 'How many pending orders?', language: 'es', query: { model: 'pedido', measure: 'pedidos', filters: [{ dimension: 'estado', equals: 'P' }] } },
      ],
    };
    const mismatches = checkExamples(wrong);
    expect(mismatches.map((m) => m.index)).toEqual([0, 1, 2]);
    expect(mismatches[0]?.actual).toEqual({ model: 'pedido', measure: 'pedidos', filters: [{ dimension: 'estado', equals: 'P' }] });
    expect(mismatches[1]?.actual).toBeNull();
    expect(mismatches[2]?.language).toEqual({ expected: 'es', actual: 'en' });
  });

  it('compares queries whatever their key order', () => {
    expect(canonical({ b: 1, a: { d: [1, 2], c: 'x' } })).toBe(canonical({ a: { c: 'x', d: [1, 2] }, b: 1 }));
    expect(canonical({ a: [1, 2] })).not.toBe(canonical({ a: [2, 1] }));
  });
});

describe('ambiguity between models', () => {
  // Two models that both call their rows "registros": which one a question means is unknown.
  const model = load('test/fixtures/models/crm.yaml');
  const shared: SemanticModel = {
    ...model,
    examples: [],
    models: model.models.map((m) =>
      m.name === 'factura' || m.name === 'oportunidad' ? { ...m, words: { es: [...(m.words.es ?? []), 'registro', 'registros'] } } : m,
    ),
  };
  const matcher = createSemanticMatcher(shared);

  it('declines a question whose only noun names two models', () => {
    expect(matcher.match('¿cuántos registros hay?')).toBeNull();
    expect(matcher.match('registros de este mes')).toBeNull();
  });

  it('still resolves when another word picks one of them', () => {
    expect(matcher.match('registros en borrador')?.query).toEqual({ model: 'factura', measure: 'facturas', filters: [{ dimension: 'estado', equals: 'borrador' }] });
  });
});

// ---------------------------------------------------------------------------------------------
// The demo model against the catalogue matcher it replaces
// ---------------------------------------------------------------------------------------------

/**
 * The phrasings of the catalogue matcher's tests (98 answered, 56 declined), with what that
 * matcher (hard-coded for the demo's orders table, removed when the demo became models/demo.yaml)
 * answered, written as the demo model's query for the same rows, and the language it answered in.
 * Recorded from the catalogue matcher before it was deleted.
 */
const CATALOGUE_ANSWERS: readonly [question: string, query: SemanticQuery | null, language: Language | null][] = [
  ["¿Cuántas órdenes pendientes hay?", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"pending"}]}, 'es'],
  ["¿Cuántas órdenes hay?", {"model":"orden","measure":"ordenes"}, 'es'],
  ["cuantas ordenes pendientes hay", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"pending"}]}, 'es'],
  ["¿¿CUÁNTAS ÓRDENES PENDIENTES??", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"pending"}]}, 'es'],
  ["pedidos enviados esta semana", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"shipped"}],"window":{"kind":"this_week"}}, 'es'],
  ["órdenes de hoy", {"model":"orden","measure":"ordenes","window":{"kind":"today"}}, 'es'],
  ["órdenes de los últimos 7 días", {"model":"orden","measure":"ordenes","window":{"kind":"last_days","days":7}}, 'es'],
  ["¿Cuántos pedidos se entregaron ayer?", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"delivered"}],"window":{"kind":"yesterday"}}, 'es'],
  ["¿Cuántas órdenes se cancelaron hoy?", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"cancelled"}],"window":{"kind":"today"}}, 'es'],
  ["número de órdenes canceladas", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"cancelled"}]}, 'es'],
  ["número total de pedidos", {"model":"orden","measure":"ordenes"}, 'es'],
  ["cantidad de pedidos entregados esta semana", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"delivered"}],"window":{"kind":"this_week"}}, 'es'],
  ["¿Cuántas órdenes anuladas hay?", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"cancelled"}]}, 'es'],
  ["cuántos pedidos hay en espera", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"pending"}]}, 'es'],
  ["pedidos por enviar", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"pending"}]}, 'es'],
  ["pedidos sin enviar de hoy", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"pending"}],"window":{"kind":"today"}}, 'es'],
  ["pedidos en camino", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"shipped"}]}, 'es'],
  ["¿Cuántas compras despachadas hubo este mes?", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"shipped"}],"window":{"kind":"this_month"}}, 'es'],
  ["¿Cuántas órdenes en estado pendiente hay?", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"pending"}]}, 'es'],
  ["órdenes que están pendientes", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"pending"}]}, 'es'],
  ["órdenes de los últimos diez días", {"model":"orden","measure":"ordenes","window":{"kind":"last_days","days":10}}, 'es'],
  ["pedidos de la última semana", {"model":"orden","measure":"ordenes","window":{"kind":"last_days","days":7}}, 'es'],
  ["pedidos del último mes", {"model":"orden","measure":"ordenes","window":{"kind":"last_days","days":30}}, 'es'],
  ["dame el número de pedidos de hoy por favor", {"model":"orden","measure":"ordenes","window":{"kind":"today"}}, 'es'],
  ["¿cuántas ventas hubo ayer?", {"model":"orden","measure":"ordenes","window":{"kind":"yesterday"}}, 'es'],
  ["me puedes decir cuántas órdenes pendientes hay", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"pending"}]}, 'es'],
  ["¿Cuántas órdenes hay en total?", {"model":"orden","measure":"ordenes"}, 'es'],
  ["órdenes recibidas en los últimos 3650 días", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"delivered"}],"window":{"kind":"last_days","days":3650}}, 'es'],
  ["How many pending orders are there?", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"pending"}]}, 'en'],
  ["how many orders were delivered in the last 30 days", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"delivered"}],"window":{"kind":"last_days","days":30}}, 'en'],
  ["Can you tell me how many orders were shipped today?", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"shipped"}],"window":{"kind":"today"}}, 'en'],
  ["count pending orders", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"pending"}]}, 'en'],
  ["number of cancelled orders this month", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"cancelled"}],"window":{"kind":"this_month"}}, 'en'],
  ["total number of orders", {"model":"orden","measure":"ordenes"}, 'en'],
  ["how many open orders", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"pending"}]}, 'en'],
  ["orders awaiting shipment", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"pending"}]}, 'en'],
  ["what is the number of voided orders", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"cancelled"}]}, 'en'],
  ["orders delivered yesterday", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"delivered"}],"window":{"kind":"yesterday"}}, 'en'],
  ["orders that are in transit", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"shipped"}]}, 'en'],
  ["orders in the past seven days", {"model":"orden","measure":"ordenes","window":{"kind":"last_days","days":7}}, 'en'],
  ["orders in the past week", {"model":"orden","measure":"ordenes","window":{"kind":"last_days","days":7}}, 'en'],
  ["How many canceled orders in the past 2 days?", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"cancelled"}],"window":{"kind":"last_days","days":2}}, 'en'],
  ["How many sales today?", {"model":"orden","measure":"ordenes","window":{"kind":"today"}}, 'en'],
  ["orders with status shipped", {"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"shipped"}]}, 'en'],
  ["how many orders in total", {"model":"orden","measure":"ordenes"}, 'en'],
  ["total de las órdenes canceladas este mes", {"model":"orden","measure":"importe","filters":[{"dimension":"status","equals":"cancelled"}],"window":{"kind":"this_month"}}, 'es'],
  ["¿Cuál es el total de órdenes canceladas?", {"model":"orden","measure":"importe","filters":[{"dimension":"status","equals":"cancelled"}]}, 'es'],
  ["monto total de pedidos entregados hoy", {"model":"orden","measure":"importe","filters":[{"dimension":"status","equals":"delivered"}],"window":{"kind":"today"}}, 'es'],
  ["importe de pedidos entregados", {"model":"orden","measure":"importe","filters":[{"dimension":"status","equals":"delivered"}]}, 'es'],
  ["valor de las órdenes pendientes", {"model":"orden","measure":"importe","filters":[{"dimension":"status","equals":"pending"}]}, 'es'],
  ["suma de órdenes enviadas hoy", {"model":"orden","measure":"importe","filters":[{"dimension":"status","equals":"shipped"}],"window":{"kind":"today"}}, 'es'],
  ["ventas de hoy", {"model":"orden","measure":"importe","window":{"kind":"today"}}, 'es'],
  ["¿Cuánto vendimos esta semana?", {"model":"orden","measure":"importe","window":{"kind":"this_week"}}, 'es'],
  ["¿Cuánto se ha facturado en los últimos 15 días?", {"model":"orden","measure":"importe","window":{"kind":"last_days","days":15}}, 'es'],
  ["what is the total amount of cancelled orders this month", {"model":"orden","measure":"importe","filters":[{"dimension":"status","equals":"cancelled"}],"window":{"kind":"this_month"}}, 'en'],
  ["How much did we sell today?", {"model":"orden","measure":"importe","window":{"kind":"today"}}, 'en'],
  ["how much revenue this month", {"model":"orden","measure":"importe","window":{"kind":"this_month"}}, 'en'],
  ["Revenue from delivered orders this month", {"model":"orden","measure":"importe","filters":[{"dimension":"status","equals":"delivered"}],"window":{"kind":"this_month"}}, 'en'],
  ["sum of pending orders", {"model":"orden","measure":"importe","filters":[{"dimension":"status","equals":"pending"}]}, 'en'],
  ["I'd like to know the total amount of orders this week", {"model":"orden","measure":"importe","window":{"kind":"this_week"}}, 'en'],
  ["value of shipped orders in the last 5 days", {"model":"orden","measure":"importe","filters":[{"dimension":"status","equals":"shipped"}],"window":{"kind":"last_days","days":5}}, 'en'],
  ["órdenes por estado", {"model":"orden","measure":"ordenes","group_by":"status"}, 'es'],
  ["resumen de pedidos por estado", {"model":"orden","measure":"ordenes","group_by":"status"}, 'es'],
  ["distribución de órdenes por estado", {"model":"orden","measure":"ordenes","group_by":"status"}, 'es'],
  ["¿Cuántas órdenes hay en cada estado?", {"model":"orden","measure":"ordenes","group_by":"status"}, 'es'],
  ["pedidos por estado de esta semana", {"model":"orden","measure":"ordenes","group_by":"status","window":{"kind":"this_week"}}, 'es'],
  ["orders by status", {"model":"orden","measure":"ordenes","group_by":"status"}, 'en'],
  ["breakdown of orders by status", {"model":"orden","measure":"ordenes","group_by":"status"}, 'en'],
  ["order status breakdown for today", {"model":"orden","measure":"ordenes","group_by":"status","window":{"kind":"today"}}, 'en'],
  ["how many orders per status in the last 14 days", {"model":"orden","measure":"ordenes","group_by":"status","window":{"kind":"last_days","days":14}}, 'en'],
  ["últimas 5 órdenes", {"model":"orden","latest":{"limit":5}}, 'es'],
  ["las 10 órdenes más recientes", {"model":"orden","latest":{"limit":10}}, 'es'],
  ["muéstrame los últimos pedidos", {"model":"orden","latest":{"limit":5}}, 'es'],
  ["últimas cinco órdenes canceladas", {"model":"orden","latest":{"limit":5},"filters":[{"dimension":"status","equals":"cancelled"}]}, 'es'],
  ["últimas 100 órdenes", {"model":"orden","latest":{"limit":50}}, 'es'],
  ["¿Cuál fue el último pedido?", {"model":"orden","latest":{"limit":1}}, 'es'],
  ["pedidos pendientes más recientes", {"model":"orden","latest":{"limit":5},"filters":[{"dimension":"status","equals":"pending"}]}, 'es'],
  ["show me the last 3 orders", {"model":"orden","latest":{"limit":3}}, 'en'],
  ["latest pending orders", {"model":"orden","latest":{"limit":5},"filters":[{"dimension":"status","equals":"pending"}]}, 'en'],
  ["the last order", {"model":"orden","latest":{"limit":1}}, 'en'],
  ["5 most recent cancelled orders", {"model":"orden","latest":{"limit":5},"filters":[{"dimension":"status","equals":"cancelled"}]}, 'en'],
  ["list the last ten pending orders", {"model":"orden","latest":{"limit":10},"filters":[{"dimension":"status","equals":"pending"}]}, 'en'],
  ["newest orders", {"model":"orden","latest":{"limit":5}}, 'en'],
  ["mejores clientes", {"model":"orden","measure":"importe_neto","group_by":"customer","order":"desc","limit":5}, 'es'],
  ["top clientes", {"model":"orden","measure":"importe_neto","group_by":"customer","order":"desc","limit":5}, 'es'],
  ["principales clientes", {"model":"orden","measure":"importe_neto","group_by":"customer","order":"desc","limit":5}, 'es'],
  ["clientes que más compran", {"model":"orden","measure":"importe_neto","group_by":"customer","order":"desc","limit":5}, 'es'],
  ["los 3 clientes que más gastaron este mes", {"model":"orden","measure":"importe_neto","group_by":"customer","order":"desc","limit":3,"window":{"kind":"this_month"}}, 'es'],
  ["¿Quiénes son nuestros mejores clientes?", {"model":"orden","measure":"importe_neto","group_by":"customer","order":"desc","limit":5}, 'es'],
  ["¿Cuál es el mejor cliente?", {"model":"orden","measure":"importe_neto","group_by":"customer","order":"desc","limit":1}, 'es'],
  ["los clientes que más compraron en los últimos 30 días", {"model":"orden","measure":"importe_neto","group_by":"customer","order":"desc","limit":5,"window":{"kind":"last_days","days":30}}, 'es'],
  ["top 10 customers", {"model":"orden","measure":"importe_neto","group_by":"customer","order":"desc","limit":10}, 'en'],
  ["best customers", {"model":"orden","measure":"importe_neto","group_by":"customer","order":"desc","limit":5}, 'en'],
  ["biggest customers", {"model":"orden","measure":"importe_neto","group_by":"customer","order":"desc","limit":5}, 'en'],
  ["who are our top customers", {"model":"orden","measure":"importe_neto","group_by":"customer","order":"desc","limit":5}, 'en'],
  ["top customers by revenue this week", {"model":"orden","measure":"importe_neto","group_by":"customer","order":"desc","limit":5,"window":{"kind":"this_week"}}, 'en'],
  ["customers who spent the most in the last 90 days", {"model":"orden","measure":"importe_neto","group_by":"customer","order":"desc","limit":5,"window":{"kind":"last_days","days":90}}, 'en'],
  ["top 200 customers", {"model":"orden","measure":"importe_neto","group_by":"customer","order":"desc","limit":50}, 'en'],
  ["Explícame qué es una orden inbound", null, null],
  ["¿Qué significa que una orden esté pendiente?", null, null],
  ["What is a pending order?", null, null],
  ["what are pending orders", null, null],
  ["How do I cancel an order?", null, null],
  ["¿Cómo creo un pedido?", null, null],
  ["¿Por qué hay tantas órdenes canceladas?", null, null],
  ["borra las órdenes canceladas", null, null],
  ["cancel all pending orders", null, null],
  ["delete orders", null, null],
  ["actualiza el pedido 5", null, null],
  ["void the pending orders", null, null],
  ["open the latest orders", null, null],
  ["muéstrame las órdenes pendientes", null, null],
  ["¿Cuántos clientes hay?", null, null],
  ["¿Cuántos días tiene un mes?", null, null],
  ["how many products do we sell", null, null],
  ["how many customers", null, null],
  ["how many orders per customer", null, null],
  ["¿Cuántos pedidos hizo el cliente Juan?", null, null],
  ["¿Cuál es el estado del pedido 123?", null, null],
  ["what's the status of my order", null, null],
  ["average order value", null, null],
  ["top 5 products", null, null],
  ["how many orders have we received today", null, null],
  ["¿cuántas órdenes pendientes hubo la semana pasada?", null, null],
  ["how many orders were shipped last year", null, null],
  ["órdenes de enero", null, null],
  ["orders last week", null, null],
  ["pedidos del mes pasado", null, null],
  ["orders this year", null, null],
  ["órdenes desde ayer", null, null],
  ["orders since monday", null, null],
  ["órdenes entre el 1 y el 15", null, null],
  ["ventas de 2024", null, null],
  ["órdenes de los últimos 5000 días", null, null],
  ["orders in the last 0 days", null, null],
  ["las últimas órdenes de hoy", null, null],
  ["órdenes pendientes o enviadas", null, null],
  ["how many orders today and yesterday", null, null],
  ["¿Cuántas órdenes hay pendientes y cuánto suman?", null, null],
  ["¿cuántas órdenes pendientes hay por estado?", null, null],
  ["cuántas de las últimas órdenes están pendientes", null, null],
  ["what are the pending orders", null, null],
  ["¿Qué órdenes están pendientes?", null, null],
  ["pedidos", null, null],
  ["pendientes", null, null],
  ["top 0 customers", null, null],
  ["hola", null, null],
  ["buenos días", null, null],
  ["cuéntame un chiste", null, null],
  ["¿Qué tiempo hace hoy?", null, null],
  ["what is the weather like today", null, null],
  ["", null, null],
  ["   ", null, null],
  ["¿?", null, null],
];


/** Deliberate differences: what the semantic matcher answers instead, and why. */
const DIFFERENCES: Record<string, { expected: SemanticQuery | null; why: string }> = {
  'ventas de hoy': {
    expected: { model: 'orden', measure: 'ordenes', window: { kind: 'today' } },
    why: 'demo.yaml makes "ventas" a noun for orders (so "¿cuántas ventas hubo ayer?" counts); a noun with a window counts, as "órdenes de hoy" does',
  },
  'top customers by revenue this week': {
    expected: { model: 'orden', measure: 'importe', window: { kind: 'this_week' }, group_by: 'customer', order: 'desc', limit: 5 },
    why: 'demo.yaml says "revenue" is importe (gross); the old query always ranked net of cancelled',
  },
  'how many orders per customer': {
    expected: { model: 'orden', measure: 'ordenes', group_by: 'customer' },
    why: 'a breakdown by any categorical dimension is a shape now; the catalogue had only by-status',
  },
  'orders this year': {
    expected: { model: 'orden', measure: 'ordenes', window: { kind: 'this_year' } },
    why: 'this_year is a semantic-model window; the catalogue had none',
  },
  'las últimas órdenes de hoy': {
    expected: { model: 'orden', window: { kind: 'today' }, latest: { limit: 5 } },
    why: 'latest takes a window in the semantic model; latest_orders had none',
  },
  'órdenes pendientes o enviadas': {
    expected: { model: 'orden', measure: 'ordenes', filters: [{ dimension: 'status', in: ['pending', 'shipped'] }] },
    why: 'several values of one dimension are an "in" filter; the catalogue took one status',
  },
};

describe('demo model reproduces the catalogue matcher', () => {
  const model = load('models/demo.yaml');
  const matcher: SemanticMatcher = createSemanticMatcher(model);
  const questions = CATALOGUE_ANSWERS.map(([question]) => question);

  it('covers every phrasing of the catalogue matcher tests', () => {
    expect(CATALOGUE_ANSWERS.length).toBe(154);
    expect(CATALOGUE_ANSWERS.filter(([, query]) => query !== null).length).toBe(98);
    for (const question of Object.keys(DIFFERENCES)) expect(questions).toContain(question);
  });

  it.each(CATALOGUE_ANSWERS)('%j', (question, old, oldLanguage) => {
    const difference = DIFFERENCES[question];
    const expected = difference ? difference.expected : old;
    const result = matcher.match(question);
    expect(result?.query ?? null).toEqual(expected);
    if (result) expectAnswerable(model, result.query);
    // Where both answer, they answer in the same language.
    if (result && old) expect(result.language).toBe(oldLanguage);
  });

  it('differs on the listed phrasings only, each for a stated reason', () => {
    const differing = CATALOGUE_ANSWERS.filter(([question, old]) => canonical(old) !== canonical(matcher.match(question)?.query ?? null)).map(([q]) => q);
    expect(differing.sort()).toEqual(Object.keys(DIFFERENCES).sort());
    for (const d of Object.values(DIFFERENCES)) expect(d.why.length).toBeGreaterThan(10);
  });
});
