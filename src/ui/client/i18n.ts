/**
 * The page's language: Spanish or English, from the browser's preferred languages (the first
 * of them that is Spanish or English; English when none is). Every text the page shows, its
 * error messages, dates and numbers (Intl, es-ES / en) come from here.
 */

export type Lang = 'es' | 'en';

export function browserLang(languages: readonly string[]): Lang {
  for (const tag of languages) {
    const primary = tag.toLowerCase().split('-')[0];
    if (primary === 'es' || primary === 'en') return primary;
  }
  return 'en';
}

export const lang: Lang = browserLang(navigator.languages?.length ? navigator.languages : [navigator.language || 'en']);
export const locale = lang === 'es' ? 'es-ES' : 'en';

const es = {
  title: 'Chat API',
  tokenLabel: 'Token de acceso',
  useToken: 'Usar token',
  useDevToken: 'Usar el token de desarrollo',
  changeToken: 'Cambiar token',
  project: 'Proyecto',
  conversations: 'Conversaciones',
  newConversation: 'Nueva conversación',
  log: 'Conversación',
  question: 'Pregunta',
  keysHint: '(Enter envía, Mayús+Enter nueva línea)',
  send: 'Enviar',
  you: 'Tú',
  assistant: 'Asistente',
  user: 'Usuario {id}',
  answering: 'Respondiendo…',
  interrupted: 'la respuesta se interrumpió',
  offline: 'Sin conexión con el servidor ({detail}).',
  sources: 'Fuentes',
  tokenMissing: 'Pega un token de acceso.',
  tokenRejected: 'El servidor no acepta este token (no es válido o ha caducado). Pega un token de acceso nuevo.',
  signedOutTitle: 'Empieza con un token de acceso',
  signedOutHint: 'Pega el token de acceso que te dio tu aplicación (se guarda solo en esta pestaña).',
  signedOutDevHint: 'En modo de desarrollo basta con «Usar el token de desarrollo».',
  introTitle: '¿Qué quieres saber de {project}?',
  introSuggestions: 'Prueba una de estas preguntas o escribe la tuya:',
  introNoSuggestions: 'Este proyecto no propone preguntas: escribe la tuya abajo.',
  suggestions: 'Preguntas sugeridas',
  noProjects: 'Este token no tiene acceso a ningún proyecto.',
  sourceDatabase: 'base de datos',
  sourceOpenai: 'modelo de lenguaje',
  sourceDocumentos: 'documentos',
  count: 'Número',
  total: 'Total',
  value: 'Valor',
  truncated: 'Se muestran las primeras filas: hay más.',
  chartBars: 'Gráfico de barras: {measure} por {group}',
  chartLine: 'Gráfico de líneas: {measure} por {time}',
  showTable: 'Ver la tabla',
  csv: 'CSV',
  csvLabel: 'Descargar la tabla como CSV',
  tryProjects: 'Proyectos que responden con sus datos:',
  tryOtherProjects: 'Prueba con otro proyecto:',
  trySuggestions: 'Preguntas que este proyecto sí responde:',
  // Problems, by type (urn:chat-api:problem:…)
  'model-not-configured':
    'Esta pregunta necesita un modelo de lenguaje y el servidor no tiene ninguno configurado: sin él, un proyecto solo responde con sus datos y documentos. Quien administra el servidor puede configurar uno (OPENAI_API_KEY).',
  'model-unavailable': 'El modelo de lenguaje no responde ahora. Las preguntas sobre los datos siguen funcionando; inténtalo de nuevo en un momento.',
  'model-rate-limited': 'El modelo de lenguaje está saturado. Inténtalo de nuevo en un momento.',
  'model-timeout': 'El modelo de lenguaje tardó demasiado en responder. Inténtalo de nuevo.',
  'database-unavailable': 'La base de datos no está disponible ahora. Inténtalo de nuevo en un momento.',
  'database-timeout': 'La base de datos tardó demasiado en responder. Prueba una pregunta más acotada.',
  'request-timeout': 'La respuesta tardó demasiado. Inténtalo de nuevo.',
  'rate-limited': 'Has hecho demasiadas preguntas en poco tiempo. Espera un minuto y vuelve a intentarlo.',
  unauthorized: 'Tu token ya no es válido (ha caducado o no es correcto). Usa un token de acceso nuevo.',
  forbidden: 'No tienes acceso a este proyecto. Elige otro.',
  'project-not-found': 'Este proyecto no existe. Elige otro.',
  'not-found': 'No se encontró lo que buscabas.',
  'invalid-request': 'La pregunta no es válida: escribe entre 1 y 4000 caracteres.',
  'payload-too-large': 'La pregunta es demasiado larga.',
  internal: 'Algo falló en el servidor. Si se repite, comparte este identificador con quien lo mantiene: {id}.',
  other: 'No se pudo responder: {detail}',
} as const;

export type TextKey = keyof typeof es;

const en: Record<TextKey, string> = {
  title: 'Chat API',
  tokenLabel: 'Access token',
  useToken: 'Use token',
  useDevToken: 'Use the development token',
  changeToken: 'Change token',
  project: 'Project',
  conversations: 'Conversations',
  newConversation: 'New conversation',
  log: 'Conversation',
  question: 'Question',
  keysHint: '(Enter sends, Shift+Enter new line)',
  send: 'Send',
  you: 'You',
  assistant: 'Assistant',
  user: 'User {id}',
  answering: 'Answering…',
  interrupted: 'the answer was cut off',
  offline: 'No connection to the server ({detail}).',
  sources: 'Sources',
  tokenMissing: 'Paste an access token.',
  tokenRejected: 'The server does not accept this token (invalid or expired). Paste a new access token.',
  signedOutTitle: 'Start with an access token',
  signedOutHint: 'Paste the access token your application gave you (kept in this tab only).',
  signedOutDevHint: 'In development mode, “Use the development token” is enough.',
  introTitle: 'What would you like to know about {project}?',
  introSuggestions: 'Try one of these questions or write your own:',
  introNoSuggestions: 'This project suggests no questions: write yours below.',
  suggestions: 'Suggested questions',
  noProjects: 'This token has access to no project.',
  sourceDatabase: 'database',
  sourceOpenai: 'language model',
  sourceDocumentos: 'documents',
  count: 'Count',
  total: 'Total',
  value: 'Value',
  truncated: 'Showing the first rows: there are more.',
  chartBars: 'Bar chart: {measure} by {group}',
  chartLine: 'Line chart: {measure} by {time}',
  showTable: 'Show the table',
  csv: 'CSV',
  csvLabel: 'Download the table as CSV',
  tryProjects: 'Projects that answer from their data:',
  tryOtherProjects: 'Try another project:',
  trySuggestions: 'Questions this project does answer:',
  'model-not-configured':
    'This question needs a language model, and the server has none configured: without one, a project answers only from its data and documents. Whoever runs the server can configure one (OPENAI_API_KEY).',
  'model-unavailable': 'The language model is not answering right now. Questions about the data still work; try again in a moment.',
  'model-rate-limited': 'The language model is busy. Try again in a moment.',
  'model-timeout': 'The language model took too long to answer. Try again.',
  'database-unavailable': 'The database is not available right now. Try again in a moment.',
  'database-timeout': 'The database took too long to answer. Try a narrower question.',
  'request-timeout': 'The answer took too long. Try again.',
  'rate-limited': 'Too many questions in a short time. Wait a minute and try again.',
  unauthorized: 'Your token is no longer valid (expired or wrong). Use a new access token.',
  forbidden: 'You have no access to this project. Pick another one.',
  'project-not-found': 'This project does not exist. Pick another one.',
  'not-found': 'Not found.',
  'invalid-request': 'The question is not valid: write between 1 and 4000 characters.',
  'payload-too-large': 'The question is too long.',
  internal: 'Something failed on the server. If it happens again, share this id with its maintainers: {id}.',
  other: 'Could not answer: {detail}',
};

const texts: Record<TextKey, string> = lang === 'es' ? es : en;

/** The text for `key` in the page's language, with `{name}` placeholders filled in. */
export function t(key: TextKey, vars: Record<string, string> = {}): string {
  return texts[key].replace(/\{(\w+)\}/g, (_, name: string) => vars[name] ?? '');
}

/** A problem's message in the page's language, from its type; the server's own detail when the type is unknown. */
export function problemMessage(type: string | undefined, detail: string | undefined, requestId?: string): string {
  const code = (type ?? '').replace(/^urn:chat-api:problem:/, '');
  if (code in texts && code !== 'other') return t(code as TextKey, { id: requestId ?? '' });
  return t('other', { detail: detail || type || '?' });
}

const numbers = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
const money = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
const shortDateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'short' });
// Wall-clock values (a series' buckets: "2026-12-01", "2026-12-01T09:00") are shown as they are.
const wallDate = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
const wallDateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
const wallMonth = new Intl.DateTimeFormat(locale, { month: 'short', year: 'numeric', timeZone: 'UTC' });

export const formatNumber = (value: number, currency?: boolean) => (currency ? money : numbers).format(value);

/** An instant (ISO with a zone), in the browser's zone. */
export const formatInstant = (iso: string, short?: boolean) => (short ? shortDateTime : dateTime).format(new Date(iso));

const WALL = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2})?)?$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

export const isDateText = (value: unknown): value is string => typeof value === 'string' && (WALL.test(value) || INSTANT.test(value));

/**
 * A date-like value as text: instants in the browser's zone, wall-clock dates as they are;
 * `months`: the values are the first days of months (a monthly series), shown as "dic 2026".
 */
export function formatDateText(value: string, months?: boolean): string {
  const wall = WALL.exec(value);
  if (!wall) return formatInstant(value);
  const instant = new Date(value.length === 10 ? value + 'T00:00:00Z' : value + 'Z');
  if (months) return wallMonth.format(instant);
  return (wall[2] && !/T00:00/.test(value) ? wallDateTime : wallDate).format(instant);
}
