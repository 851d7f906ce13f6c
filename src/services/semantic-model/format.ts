/** Numbers and dates in answers, per language (cached Intl formatters: building one costs more than formatting). */
import type { Language } from './schema.js';

const LOCALES: Record<Language, string> = { es: 'es-ES', en: 'en-US' };
const moneyFormats = new Map<Language, Intl.NumberFormat>();
const integerFormats = new Map<Language, Intl.NumberFormat>();

export function formatMoney(value: number, lang: Language): string {
  let format = moneyFormats.get(lang);
  if (!format) {
    format = new Intl.NumberFormat(LOCALES[lang], { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    moneyFormats.set(lang, format);
  }
  return format.format(value);
}

export function formatInteger(value: number, lang: Language): string {
  let format = integerFormats.get(lang);
  if (!format) {
    format = new Intl.NumberFormat(LOCALES[lang], { maximumFractionDigits: 0 });
    integerFormats.set(lang, format);
  }
  return format.format(value);
}

export function formatDate(value: Date, timeZone: string): string {
  // en-CA formats as YYYY-MM-DD
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(value);
}

