import { normalizeWords } from './semantic-model/words.js';
import type { Language } from './semantic-model/schema.js';

/** Canonical form used for matching: the semantic model's rule, so questions and model words compare alike. */
export const normalize = normalizeWords;

/** Characters that only occur in Spanish text (checked on the raw, un-normalised input). */
const SPANISH_CHARS = /[¿¡ñáéíóúü]/giu;

/** Frequent words that are clearly Spanish once accents are stripped. */
const SPANISH_WORDS = new Set(
  (
    'que cuantas cuantos cuanto cuanta cual cuales quienes hay de del la las los el en por para con y es son ' +
    'ordenes orden pedidos pedido compras compra clientes cliente mejores mejor hoy ayer semana mes dias ultimas ' +
    'ultimos ultima ultimo muestrame muestra dame dime pendientes pendiente enviadas enviados entregadas ' +
    'entregados canceladas cancelados este esta estan tenemos hubo quiero ventas mas recientes monto importe ' +
    'suma numero cantidad estado principales como explicame significa borra hola gracias se un una nuestros ' +
    'nuestras cuantos dia tiene sin espera camino'
  ).split(' '),
);

/** Frequent words that are clearly English. */
const ENGLISH_WORDS = new Set(
  (
    'the how many much what whats is are was were orders order customers customer clients today yesterday ' +
    'week month days day last latest show pending shipped delivered cancelled canceled this of in by status ' +
    'there do does did we our who best biggest number count amount value sum recent most past give list ' +
    'hello hi thanks sales revenue and or with have has all please my purchases why which from'
  ).split(' '),
);

/**
 * Guess the language of a user question. Spanish-only characters and Spanish words vote for 'es',
 * English words for 'en'; ties (including empty or neutral text such as "top 10") go to 'es',
 * the primary language of the service.
 */
export function detectLanguage(text: string): Language {
  let spanish = text.match(SPANISH_CHARS)?.length ?? 0;
  let english = 0;
  for (const word of normalize(text).split(' ')) {
    if (SPANISH_WORDS.has(word)) spanish += 1;
    if (ENGLISH_WORDS.has(word)) english += 1;
  }
  return english > spanish ? 'en' : 'es';
}
