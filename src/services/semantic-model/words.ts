/**
 * How words of a model are compared: by the checker (no word may mean two things) and, later, by
 * the matcher (question words → model words). Both must agree, so the rule lives here once.
 */

/**
 * Lower case, accents removed, punctuation turned into spaces, whitespace collapsed:
 * "¿Cuántas Órdenes?" → "cuantas ordenes". Letters of every script are kept.
 */
export function normalizeWords(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * A deliberately simple plural rule for Spanish and English: a token also stands for itself
 * without a final -s, -es, or with -ies → -y (pedidos → pedido, órdenes → orden, meses → mes,
 * categories → category). It over-approximates ("news" ~ "new"): for an ambiguity check a false
 * alarm is cheap, a missed ambiguity answers the wrong question.
 */
export function singularForms(token: string): string[] {
  const forms = [token];
  if (token.length > 3 && token.endsWith('s') && !token.endsWith('ss')) forms.push(token.slice(0, -1));
  if (token.length > 4 && token.endsWith('es')) forms.push(token.slice(0, -2));
  if (token.length > 4 && token.endsWith('ies')) forms.push(`${token.slice(0, -3)}y`);
  return forms;
}

/** Expanding every token of a long plural phrase is exponential; past this, tokens stay as written. */
const MAX_KEYS_PER_WORD = 81;

/**
 * Comparison keys of a word or phrase: two words mean the same to a reader when their key sets
 * intersect ("órdenes pendientes" and "orden pendiente" share "orden pendiente").
 */
export function wordKeys(word: string): string[] {
  const tokens = normalizeWords(word).split(' ').filter(Boolean);
  let keys = [''];
  for (const token of tokens) {
    const forms = keys.length * 3 > MAX_KEYS_PER_WORD ? [token] : singularForms(token);
    keys = keys.flatMap((key) => forms.map((form) => (key ? `${key} ${form}` : form)));
  }
  return keys.filter(Boolean);
}
