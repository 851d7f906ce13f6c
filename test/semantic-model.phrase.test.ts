import { describe, expect, it } from 'vitest';
import { compileQuery } from '../src/services/semantic-model/compile.js';
import { phraseAnswer, valueLabel, wordForms, type DataRow } from '../src/services/semantic-model/phrase.js';
import type { SemanticModel, SemanticQuery } from '../src/services/semantic-model/schema.js';
import { loadModel } from './support/semantic-queries.js';

/** Phrasing without a database: the words a model gives and the sentences built from rows. */

const DEMO = loadModel('models/demo.yaml');
const VENTAS = loadModel('test/fixtures/models/ventas.yaml');
const ctx = { tenant: 'demo', now: new Date('2026-05-15T12:00:00Z'), timeZone: 'Europe/Madrid' };
const phrase = (project: SemanticModel, query: SemanticQuery, rows: DataRow[], lang: 'es' | 'en') =>
  phraseAnswer({ project, query, compiled: compileQuery(project, query, ctx), rows, lang, timeZone: ctx.timeZone });

describe('words → singular and plural', () => {
  it('takes the first word as singular and the listed word the plural rule maps to it as plural', () => {
    expect(wordForms({ es: ['orden', 'órdenes', 'pedido', 'pedidos'] }, 'es')).toEqual({ singular: 'orden', plural: 'órdenes' });
    expect(wordForms({ en: ['category', 'categories'] }, 'en')).toEqual({ singular: 'category', plural: 'categories' });
    expect(wordForms({ es: ['mes', 'meses'] }, 'es')).toEqual({ singular: 'mes', plural: 'meses' });
    // No plural listed: the word serves both (English adjectives do not inflect anyway).
    expect(wordForms({ en: ['pending', 'open'] }, 'en')).toEqual({ singular: 'pending', plural: 'pending' });
    expect(wordForms({ en: ['order'] }, 'es')).toBeUndefined();
  });

  it('names values by label, then by first word, then by the stored value', () => {
    const status = VENTAS.models[0]?.dimensions.find((d) => d.name === 'estado');
    expect(valueLabel(status, 'P', 'es')).toBe('Pendiente');
    expect(valueLabel(status, 'X', 'en')).toBe('Cancelled');
    expect(valueLabel(status, 'Z', 'en')).toBe('Z');
    expect(valueLabel(status, null, 'es')).toBe('(sin valor)');
  });
});

describe('sentences', () => {
  const pending: SemanticQuery = { model: 'orden', measure: 'ordenes', filters: [{ dimension: 'status', equals: 'pending' }], window: { kind: 'this_month' } };

  it('agrees in number in both languages, and reads zero as "no"', () => {
    expect(phrase(DEMO, pending, [{ ordenes: 12, count: 12 }], 'es')).toBe('Hay 12 órdenes pendientes este mes.');
    expect(phrase(DEMO, pending, [{ ordenes: 1, count: 1 }], 'es')).toBe('Hay 1 orden pendiente este mes.');
    expect(phrase(DEMO, pending, [{ ordenes: 0, count: 0 }], 'es')).toBe('No hay órdenes pendientes este mes.');
    expect(phrase(DEMO, pending, [{ ordenes: 1, count: 1 }], 'en')).toBe('There is 1 pending order this month.');
    expect(phrase(DEMO, pending, [{ ordenes: 1234, count: 1234 }], 'en')).toBe('There are 1,234 pending orders this month.');
  });

  it('joins several values with "o"/"or" and says "distinto de"/"other than" for not_in', () => {
    const some: SemanticQuery = { model: 'orden', measure: 'ordenes', filters: [{ dimension: 'status', in: ['shipped', 'delivered'] }] };
    expect(phrase(DEMO, some, [{ ordenes: 3, count: 3 }], 'es')).toBe('Hay 3 órdenes enviadas o entregadas.');
    expect(phrase(DEMO, some, [{ ordenes: 3, count: 3 }], 'en')).toBe('There are 3 shipped or delivered orders.');
    const notCancelled: SemanticQuery = { model: 'orden', measure: 'ordenes', filters: [{ dimension: 'status', not_in: ['cancelled'] }] };
    expect(phrase(DEMO, notCancelled, [{ ordenes: 2, count: 2 }], 'es')).toBe('Hay 2 órdenes con estado distinto de Cancelada.');
    expect(phrase(DEMO, notCancelled, [{ ordenes: 2, count: 2 }], 'en')).toBe('There are 2 orders with status other than Cancelled.');
  });

  it('formats currency per language with two decimals', () => {
    const total: SemanticQuery = { model: 'orden', measure: 'importe', window: { kind: 'last_days', days: 7 } };
    expect(phrase(DEMO, total, [{ importe: 12345.5, count: 3 }], 'es')).toBe('Importe de 3 órdenes en los últimos 7 días: 12.345,50.');
    expect(phrase(DEMO, total, [{ importe: 12345.5, count: 1 }], 'en')).toBe('Amount of 1 order in the last 7 days: 12,345.50.');
  });

  it('says when a breakdown has more groups than it shows', () => {
    const query: SemanticQuery = { model: 'orden', measure: 'ordenes', group_by: 'customer' };
    const rows = Array.from({ length: 51 }, (_, i) => ({ customer: `C${i}`, ordenes: 51 - i, count: 51 - i }));
    const text = phrase(DEMO, query, rows, 'es');
    expect(text).toMatch(/^Órdenes por cliente: C0 51, C1 50, /);
    expect(text).toContain('C49 2');
    expect(text).not.toContain('C50');
    expect(text.endsWith(' (y más).')).toBe(true);
    expect(phrase(DEMO, query, rows.slice(0, 3), 'en')).toBe('Orders by customer: C0 51, C1 50, C2 49.');
  });

  it('ranks a top N with the measure and the row count', () => {
    const query: SemanticQuery = { model: 'orden', measure: 'importe_neto', group_by: 'customer', order: 'desc', limit: 2, window: { kind: 'this_month' } };
    const rows = [
      { customer: 'Hotel Mirador', importe_neto: 1500, count: 3 },
      { customer: 'Café La Esquina', importe_neto: 20.5, count: 1 },
    ];
    expect(phrase(DEMO, query, rows, 'es')).toBe(
      'Top 2 clientes por importe sin canceladas este mes:\n1. Hotel Mirador — 1500,00 (3 órdenes)\n2. Café La Esquina — 20,50 (1 orden)',
    );
  });
});
