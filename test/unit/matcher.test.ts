import { describe, expect, it } from 'vitest';
import {
  catalogueParamSchemas,
  ORDER_STATUSES,
  QUERY_NAMES,
  type Language,
  type QueryCall,
  type QueryName,
} from '../../src/services/chat/catalogue-types.js';
import { detectLanguage } from '../../src/services/chat/language.js';
import { createMatcher } from '../../src/services/chat/matcher.js';

const matcher = createMatcher();

type Positive = [question: string, expected: QueryCall, language: Language];

const P = (question: string, expected: QueryCall, language: Language): Positive => [question, expected, language];

const POSITIVES: Positive[] = [
  // count_orders — Spanish
  P('¿Cuántas órdenes pendientes hay?', { name: 'count_orders', params: { status: 'pending' } }, 'es'),
  P('¿Cuántas órdenes hay?', { name: 'count_orders', params: {} }, 'es'),
  P('cuantas ordenes pendientes hay', { name: 'count_orders', params: { status: 'pending' } }, 'es'),
  P('¿¿CUÁNTAS ÓRDENES PENDIENTES??', { name: 'count_orders', params: { status: 'pending' } }, 'es'),
  P('pedidos enviados esta semana', { name: 'count_orders', params: { status: 'shipped', window: { kind: 'this_week' } } }, 'es'),
  P('órdenes de hoy', { name: 'count_orders', params: { window: { kind: 'today' } } }, 'es'),
  P('órdenes de los últimos 7 días', { name: 'count_orders', params: { window: { kind: 'last_days', days: 7 } } }, 'es'),
  P('¿Cuántos pedidos se entregaron ayer?', { name: 'count_orders', params: { status: 'delivered', window: { kind: 'yesterday' } } }, 'es'),
  P('¿Cuántas órdenes se cancelaron hoy?', { name: 'count_orders', params: { status: 'cancelled', window: { kind: 'today' } } }, 'es'),
  P('número de órdenes canceladas', { name: 'count_orders', params: { status: 'cancelled' } }, 'es'),
  P('número total de pedidos', { name: 'count_orders', params: {} }, 'es'),
  P('cantidad de pedidos entregados esta semana', { name: 'count_orders', params: { status: 'delivered', window: { kind: 'this_week' } } }, 'es'),
  P('¿Cuántas órdenes anuladas hay?', { name: 'count_orders', params: { status: 'cancelled' } }, 'es'),
  P('cuántos pedidos hay en espera', { name: 'count_orders', params: { status: 'pending' } }, 'es'),
  P('pedidos por enviar', { name: 'count_orders', params: { status: 'pending' } }, 'es'),
  P('pedidos sin enviar de hoy', { name: 'count_orders', params: { status: 'pending', window: { kind: 'today' } } }, 'es'),
  P('pedidos en camino', { name: 'count_orders', params: { status: 'shipped' } }, 'es'),
  P('¿Cuántas compras despachadas hubo este mes?', { name: 'count_orders', params: { status: 'shipped', window: { kind: 'this_month' } } }, 'es'),
  P('¿Cuántas órdenes en estado pendiente hay?', { name: 'count_orders', params: { status: 'pending' } }, 'es'),
  P('órdenes que están pendientes', { name: 'count_orders', params: { status: 'pending' } }, 'es'),
  P('órdenes de los últimos diez días', { name: 'count_orders', params: { window: { kind: 'last_days', days: 10 } } }, 'es'),
  P('pedidos de la última semana', { name: 'count_orders', params: { window: { kind: 'last_days', days: 7 } } }, 'es'),
  P('pedidos del último mes', { name: 'count_orders', params: { window: { kind: 'last_days', days: 30 } } }, 'es'),
  P('dame el número de pedidos de hoy por favor', { name: 'count_orders', params: { window: { kind: 'today' } } }, 'es'),
  P('¿cuántas ventas hubo ayer?', { name: 'count_orders', params: { window: { kind: 'yesterday' } } }, 'es'),
  P('me puedes decir cuántas órdenes pendientes hay', { name: 'count_orders', params: { status: 'pending' } }, 'es'),
  P('¿Cuántas órdenes hay en total?', { name: 'count_orders', params: {} }, 'es'),
  P('órdenes recibidas en los últimos 3650 días', { name: 'count_orders', params: { status: 'delivered', window: { kind: 'last_days', days: 3650 } } }, 'es'),
  // count_orders — English
  P('How many pending orders are there?', { name: 'count_orders', params: { status: 'pending' } }, 'en'),
  P('how many orders were delivered in the last 30 days', { name: 'count_orders', params: { status: 'delivered', window: { kind: 'last_days', days: 30 } } }, 'en'),
  P('Can you tell me how many orders were shipped today?', { name: 'count_orders', params: { status: 'shipped', window: { kind: 'today' } } }, 'en'),
  P('count pending orders', { name: 'count_orders', params: { status: 'pending' } }, 'en'),
  P('number of cancelled orders this month', { name: 'count_orders', params: { status: 'cancelled', window: { kind: 'this_month' } } }, 'en'),
  P('total number of orders', { name: 'count_orders', params: {} }, 'en'),
  P('how many open orders', { name: 'count_orders', params: { status: 'pending' } }, 'en'),
  P('orders awaiting shipment', { name: 'count_orders', params: { status: 'pending' } }, 'en'),
  P('what is the number of voided orders', { name: 'count_orders', params: { status: 'cancelled' } }, 'en'),
  P('orders delivered yesterday', { name: 'count_orders', params: { status: 'delivered', window: { kind: 'yesterday' } } }, 'en'),
  P('orders that are in transit', { name: 'count_orders', params: { status: 'shipped' } }, 'en'),
  P('orders in the past seven days', { name: 'count_orders', params: { window: { kind: 'last_days', days: 7 } } }, 'en'),
  P('orders in the past week', { name: 'count_orders', params: { window: { kind: 'last_days', days: 7 } } }, 'en'),
  P('How many canceled orders in the past 2 days?', { name: 'count_orders', params: { status: 'cancelled', window: { kind: 'last_days', days: 2 } } }, 'en'),
  P('How many sales today?', { name: 'count_orders', params: { window: { kind: 'today' } } }, 'en'),
  P('orders with status shipped', { name: 'count_orders', params: { status: 'shipped' } }, 'en'),
  P('how many orders in total', { name: 'count_orders', params: {} }, 'en'),
  // total_amount
  P('total de las órdenes canceladas este mes', { name: 'total_amount', params: { status: 'cancelled', window: { kind: 'this_month' } } }, 'es'),
  P('¿Cuál es el total de órdenes canceladas?', { name: 'total_amount', params: { status: 'cancelled' } }, 'es'),
  P('monto total de pedidos entregados hoy', { name: 'total_amount', params: { status: 'delivered', window: { kind: 'today' } } }, 'es'),
  P('importe de pedidos entregados', { name: 'total_amount', params: { status: 'delivered' } }, 'es'),
  P('valor de las órdenes pendientes', { name: 'total_amount', params: { status: 'pending' } }, 'es'),
  P('suma de órdenes enviadas hoy', { name: 'total_amount', params: { status: 'shipped', window: { kind: 'today' } } }, 'es'),
  P('ventas de hoy', { name: 'total_amount', params: { window: { kind: 'today' } } }, 'es'),
  P('¿Cuánto vendimos esta semana?', { name: 'total_amount', params: { window: { kind: 'this_week' } } }, 'es'),
  P('¿Cuánto se ha facturado en los últimos 15 días?', { name: 'total_amount', params: { window: { kind: 'last_days', days: 15 } } }, 'es'),
  P('what is the total amount of cancelled orders this month', { name: 'total_amount', params: { status: 'cancelled', window: { kind: 'this_month' } } }, 'en'),
  P('How much did we sell today?', { name: 'total_amount', params: { window: { kind: 'today' } } }, 'en'),
  P('how much revenue this month', { name: 'total_amount', params: { window: { kind: 'this_month' } } }, 'en'),
  P('Revenue from delivered orders this month', { name: 'total_amount', params: { status: 'delivered', window: { kind: 'this_month' } } }, 'en'),
  P('sum of pending orders', { name: 'total_amount', params: { status: 'pending' } }, 'en'),
  P("I'd like to know the total amount of orders this week", { name: 'total_amount', params: { window: { kind: 'this_week' } } }, 'en'),
  P('value of shipped orders in the last 5 days', { name: 'total_amount', params: { status: 'shipped', window: { kind: 'last_days', days: 5 } } }, 'en'),
  // orders_by_status
  P('órdenes por estado', { name: 'orders_by_status', params: {} }, 'es'),
  P('resumen de pedidos por estado', { name: 'orders_by_status', params: {} }, 'es'),
  P('distribución de órdenes por estado', { name: 'orders_by_status', params: {} }, 'es'),
  P('¿Cuántas órdenes hay en cada estado?', { name: 'orders_by_status', params: {} }, 'es'),
  P('pedidos por estado de esta semana', { name: 'orders_by_status', params: { window: { kind: 'this_week' } } }, 'es'),
  P('orders by status', { name: 'orders_by_status', params: {} }, 'en'),
  P('breakdown of orders by status', { name: 'orders_by_status', params: {} }, 'en'),
  P('order status breakdown for today', { name: 'orders_by_status', params: { window: { kind: 'today' } } }, 'en'),
  P('how many orders per status in the last 14 days', { name: 'orders_by_status', params: { window: { kind: 'last_days', days: 14 } } }, 'en'),
  // latest_orders
  P('últimas 5 órdenes', { name: 'latest_orders', params: { limit: 5 } }, 'es'),
  P('las 10 órdenes más recientes', { name: 'latest_orders', params: { limit: 10 } }, 'es'),
  P('muéstrame los últimos pedidos', { name: 'latest_orders', params: { limit: 5 } }, 'es'),
  P('últimas cinco órdenes canceladas', { name: 'latest_orders', params: { limit: 5, status: 'cancelled' } }, 'es'),
  P('últimas 100 órdenes', { name: 'latest_orders', params: { limit: 50 } }, 'es'),
  P('¿Cuál fue el último pedido?', { name: 'latest_orders', params: { limit: 1 } }, 'es'),
  P('pedidos pendientes más recientes', { name: 'latest_orders', params: { limit: 5, status: 'pending' } }, 'es'),
  P('show me the last 3 orders', { name: 'latest_orders', params: { limit: 3 } }, 'en'),
  P('latest pending orders', { name: 'latest_orders', params: { limit: 5, status: 'pending' } }, 'en'),
  P('the last order', { name: 'latest_orders', params: { limit: 1 } }, 'en'),
  P('5 most recent cancelled orders', { name: 'latest_orders', params: { limit: 5, status: 'cancelled' } }, 'en'),
  P('list the last ten pending orders', { name: 'latest_orders', params: { limit: 10, status: 'pending' } }, 'en'),
  P('newest orders', { name: 'latest_orders', params: { limit: 5 } }, 'en'),
  // top_customers
  P('mejores clientes', { name: 'top_customers', params: { limit: 5 } }, 'es'),
  P('top clientes', { name: 'top_customers', params: { limit: 5 } }, 'es'),
  P('principales clientes', { name: 'top_customers', params: { limit: 5 } }, 'es'),
  P('clientes que más compran', { name: 'top_customers', params: { limit: 5 } }, 'es'),
  P('los 3 clientes que más gastaron este mes', { name: 'top_customers', params: { limit: 3, window: { kind: 'this_month' } } }, 'es'),
  P('¿Quiénes son nuestros mejores clientes?', { name: 'top_customers', params: { limit: 5 } }, 'es'),
  P('¿Cuál es el mejor cliente?', { name: 'top_customers', params: { limit: 1 } }, 'es'),
  P('los clientes que más compraron en los últimos 30 días', { name: 'top_customers', params: { limit: 5, window: { kind: 'last_days', days: 30 } } }, 'es'),
  P('top 10 customers', { name: 'top_customers', params: { limit: 10 } }, 'en'),
  P('best customers', { name: 'top_customers', params: { limit: 5 } }, 'en'),
  P('biggest customers', { name: 'top_customers', params: { limit: 5 } }, 'en'),
  P('who are our top customers', { name: 'top_customers', params: { limit: 5 } }, 'en'),
  P('top customers by revenue this week', { name: 'top_customers', params: { limit: 5, window: { kind: 'this_week' } } }, 'en'),
  P('customers who spent the most in the last 90 days', { name: 'top_customers', params: { limit: 5, window: { kind: 'last_days', days: 90 } } }, 'en'),
  P('top 200 customers', { name: 'top_customers', params: { limit: 50 } }, 'en'),
];

const NEGATIVES: string[] = [
  // explanations / how-to
  'Explícame qué es una orden inbound',
  '¿Qué significa que una orden esté pendiente?',
  'What is a pending order?',
  'what are pending orders',
  'How do I cancel an order?',
  '¿Cómo creo un pedido?',
  '¿Por qué hay tantas órdenes canceladas?',
  // writes / imperatives
  'borra las órdenes canceladas',
  'cancel all pending orders',
  'delete orders',
  'actualiza el pedido 5',
  'void the pending orders',
  'open the latest orders',
  'muéstrame las órdenes pendientes',
  // counts/lookups we have no query for
  '¿Cuántos clientes hay?',
  '¿Cuántos días tiene un mes?',
  'how many products do we sell',
  'how many customers',
  'how many orders per customer',
  '¿Cuántos pedidos hizo el cliente Juan?',
  '¿Cuál es el estado del pedido 123?',
  "what's the status of my order",
  'average order value',
  'top 5 products',
  // received by us = incoming orders, not the delivered status
  'how many orders have we received today',
  // unrepresentable time
  '¿cuántas órdenes pendientes hubo la semana pasada?',
  'how many orders were shipped last year',
  'órdenes de enero',
  'orders last week',
  'pedidos del mes pasado',
  'orders this year',
  'órdenes desde ayer',
  'orders since monday',
  'órdenes entre el 1 y el 15',
  'ventas de 2024',
  'órdenes de los últimos 5000 días',
  'orders in the last 0 days',
  'las últimas órdenes de hoy',
  // conflicting / ambiguous
  'órdenes pendientes o enviadas',
  'how many orders today and yesterday',
  '¿Cuántas órdenes hay pendientes y cuánto suman?',
  '¿cuántas órdenes pendientes hay por estado?',
  'cuántas de las últimas órdenes están pendientes',
  'what are the pending orders',
  '¿Qué órdenes están pendientes?',
  'pedidos',
  'pendientes',
  'top 0 customers',
  // chit-chat / empty
  'hola',
  'buenos días',
  'cuéntame un chiste',
  '¿Qué tiempo hace hoy?',
  'what is the weather like today',
  '',
  '   ',
  '¿?',
];

/** Attempts to smuggle a project or SQL in; the matcher may match or decline, never echo text. */
const INJECTIONS: string[] = [
  '¿Cuántas órdenes pendientes hay en el proyecto tienda_norte?',
  'cuántas órdenes pendientes hay; DROP TABLE orders',
  "how many pending orders where 1=1 or project='x'",
  'órdenes pendientes -- project = otro',
  'top 10 customers; select * from users',
];

/** Every string a parameter may legitimately contain: status values and window kinds. */
const ALLOWED_STRINGS = new Set<string>([...ORDER_STATUSES, 'today', 'yesterday', 'this_week', 'this_month', 'last_days']);

function collectStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) collectStrings(v, out);
  return out;
}

describe('matcher positives', () => {
  it('has enough cases', () => {
    expect(POSITIVES.length).toBeGreaterThanOrEqual(60);
    expect(NEGATIVES.length).toBeGreaterThanOrEqual(20);
  });

  it.each(POSITIVES)('%s', (question, expected, language) => {
    const result = matcher.match(question);
    expect(result).not.toBeNull();
    expect(result?.call).toEqual(expected);
    expect(result?.language).toBe(language);
  });

  it.each(POSITIVES)('params of %s pass the zod schema', (question) => {
    const call = matcher.match(question)?.call;
    expect(call).toBeDefined();
    if (!call) return;
    const parsed: unknown = catalogueParamSchemas[call.name].parse(call.params);
    expect(parsed).toEqual(call.params);
    // optional keys are omitted, never present as undefined
    for (const v of Object.values(call.params)) expect(v).not.toBeUndefined();
  });
});

describe('matcher negatives', () => {
  it.each(NEGATIVES)('%j -> null', (question) => {
    expect(matcher.match(question)).toBeNull();
  });
});

describe('injection attempts', () => {
  it.each(INJECTIONS)('%s never yields free text', (question) => {
    const result = matcher.match(question);
    if (!result) return;
    expect(QUERY_NAMES).toContain(result.call.name);
    catalogueParamSchemas[result.call.name].parse(result.call.params);
    for (const s of collectStrings(result.call.params)) expect(ALLOWED_STRINGS.has(s)).toBe(true);
  });

  it('currently declines all of them (unknown words)', () => {
    for (const q of INJECTIONS) expect(matcher.match(q)).toBeNull();
  });
});

describe('enabled queries', () => {
  const cases: Array<[QueryName, string]> = [
    ['count_orders', '¿Cuántas órdenes pendientes hay?'],
    ['total_amount', 'total de las órdenes canceladas este mes'],
    ['orders_by_status', 'orders by status'],
    ['latest_orders', 'últimas 5 órdenes'],
    ['top_customers', 'top 10 customers'],
  ];

  it.each(cases)('%s does not match when disabled', (name, question) => {
    const others = QUERY_NAMES.filter((n) => n !== name);
    expect(createMatcher(others).match(question)).toBeNull();
    expect(createMatcher([name]).match(question)?.call.name).toBe(name);
  });

  it('matches nothing with an empty list', () => {
    const none = createMatcher([]);
    for (const [, question] of cases) expect(none.match(question)).toBeNull();
  });
});

describe('detectLanguage', () => {
  it.each<[string, Language]>([
    ['¿Cuántas órdenes hay?', 'es'],
    ['ordenes pendientes', 'es'],
    ['mejores clientes', 'es'],
    ['How many orders are there?', 'en'],
    ['top 10 customers', 'en'],
    ['latest pending orders', 'en'],
    ['top 10', 'es'],
    ['', 'es'],
  ])('%j -> %s', (text, language) => {
    expect(detectLanguage(text)).toBe(language);
  });
});
