/**
 * Property-based fuzzing of everything a client can send, through `app.request()` on one embedded
 * database with no model configured.
 *
 * The property everywhere: the answer is a clean 4xx problem (RFC 9457, `application/problem+json`,
 * `status` = HTTP status, `request_id` = `X-Request-Id`, no stack trace), never a 5xx, never a hang.
 * Only a valid body with a valid token may succeed: 200 from the database, or 503
 * `model-not-configured` when the question goes to the (unconfigured) model.
 *
 * Where the expected status follows from the contract (README) it is computed by an independent
 * oracle (`expectedForJsonBody`) and checked exactly.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './support/app.js';
import { createSeededDatabase, type TestDatabase } from './support/databases.js';
import { FakeOpenAI } from './support/fake-openai.js';
import { wideQueryArb } from './support/sql-attacks.js';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_VALUE_BYTES } from '../src/services/guarded-sql/execute.js';
import { loadSqlParser } from '../src/services/guarded-sql/load-parser.js';
import { accessClaims, accessToken, signToken, unsignedToken } from './support/tokens.js';

type App = ReturnType<typeof buildApp>;

const CHAT = '/api/v1/chat';
const OPENAPI = '/api/v1/openapi.json';
const BODY_LIMIT_BYTES = 32 * 1024;
const REQUEST_TIMEOUT_MS = 5_000;
const PROBLEM = 'urn:chat-api:problem:';
/** FUZZ_SCALE=10 npx vitest run test/fuzz.test.ts: ten times the cases, for a deeper local hunt. */
const SCALE = Math.max(1, Number(process.env.FUZZ_SCALE ?? 1) || 1);
const TEST_TIMEOUT_MS = 40_000 * SCALE;

/** Demo projects (src/adapters/db/seed.ts): open to every user, and one only user 42 may use. */
const OPEN_PROJECTS = ['dashboard_miempresa', 'tienda_norte', 'logistica_sur', 'conocimiento_general'];
const RESTRICTED_PROJECT = 'finanzas_direccion';
const TOKEN_USER = '1';

const encoder = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// Sending and checking
// ---------------------------------------------------------------------------------------------

type Sent = { method?: string; path?: string; headers?: Record<string, string | undefined>; body?: Uint8Array | string };
type Answer = {
  sent: Required<Pick<Sent, 'method' | 'path'>>;
  status: number;
  headers: Headers;
  text: string;
  /** The server's 'unhandled error' log entry for this request, if any. */
  serverError?: Record<string, unknown>;
};

let requestsSent = 0;
const statuses = new Map<number, number>();
/** Set by the app's log when it reports an unexpected error (requests are sent one at a time). */
let lastUnhandled: Record<string, unknown> | undefined;

/** Sends one request and reads the whole answer, failing if either takes longer than 5 s. */
async function send(app: App, { method = 'POST', path = CHAT, headers = {}, body }: Sent): Promise<Answer> {
  const init: RequestInit = { method, headers: Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<string, string> };
  // Bytes, not a string: a string body would make the client add `Content-Type: text/plain`.
  if (body !== undefined) init.body = typeof body === 'string' ? encoder.encode(body) : new Uint8Array(body);
  requestsSent++;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms: ${method} ${path}`)), REQUEST_TIMEOUT_MS);
  });
  try {
    return await Promise.race([
      (async () => {
        lastUnhandled = undefined;
        const response = await app.request(path, init);
        const text = await response.text();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        return { sent: { method, path }, status: response.status, headers: response.headers, text, serverError: lastUnhandled };
      })(),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  request_id: string;
  errors?: { path: string; message: string }[];
};
type ChatAnswer = { respuesta: string; fuente: string; proyecto: string; request_id: string };

/** "at fn (file.ts:12:3)", "file.js:12", node_modules paths, "TypeError: ...". */
const LEAK = /\bat\s.*\(?[^\s()]+:\d+:\d+\)?|\.[cm]?[jt]s:\d+|node_modules|\bError:/;

const describeAnswer = (a: Answer) =>
  `${a.sent.method} ${a.sent.path.slice(0, 200)} -> ${a.status} ${a.text.slice(0, 500)}` +
  (a.serverError ? `\nserver log: ${JSON.stringify(a.serverError).slice(0, 1500)}` : '');

/**
 * The answer is a 4xx problem; with `allowSuccess` (valid body, valid token) it may instead be a
 * 200 database answer or a 503 `model-not-configured` problem. HEAD answers have no body: only
 * the status is checked.
 */
function expectCleanAnswer(answer: Answer, { allowSuccess = false }: { allowSuccess?: boolean } = {}): void {
  const context = describeAnswer(answer);
  if (answer.sent.method.toUpperCase() === 'HEAD') {
    expect(answer.status, context).toBeLessThan(500);
    return;
  }
  const requestId = answer.headers.get('x-request-id');
  expect(requestId, context).toMatch(/^[\w=-]{1,255}$/);

  if (allowSuccess && answer.status === 200) {
    expect(answer.headers.get('content-type'), context).toMatch(/^application\/json/);
    const body = JSON.parse(answer.text) as ChatAnswer;
    expect(body, context).toMatchObject({ fuente: 'database', request_id: requestId, respuesta: expect.any(String) });
    return;
  }
  const modelNotConfigured = allowSuccess && answer.status === 503;
  if (!modelNotConfigured) {
    expect(answer.status, context).toBeGreaterThanOrEqual(400);
    expect(answer.status, context).toBeLessThan(500);
  }
  expect(answer.headers.get('content-type'), context).toBe('application/problem+json');
  let problem: Problem;
  try {
    problem = JSON.parse(answer.text) as Problem;
  } catch {
    throw new Error(`the problem body is not JSON: ${context}`);
  }
  expect(problem.type, context).toMatch(new RegExp(`^${PROBLEM}[a-z-]+$`));
  if (modelNotConfigured) expect(problem.type, context).toBe(`${PROBLEM}model-not-configured`);
  expect(problem.title, context).toEqual(expect.any(String));
  expect(problem.title.length, context).toBeGreaterThan(0);
  expect(problem.status, context).toBe(answer.status);
  expect(problem.detail, context).toEqual(expect.any(String));
  expect(problem.request_id, context).toBe(requestId);
  // `instance` (and the 404 detail) echo the request path, which the fuzzer chose: leave it out.
  const { instance, ...rest } = problem;
  const own = instance ? JSON.stringify(rest).split(JSON.stringify(instance).slice(1, -1)).join('') : JSON.stringify(rest);
  expect(own, context).not.toMatch(LEAK);
}

/** A contract-derived expectation: 'success' (200 or 503 model-not-configured) or the exact 4xx statuses allowed. */
type Expected = 'success' | readonly number[];

function expectAnswer(answer: Answer, expected: Expected): void {
  if (expected === 'success') {
    expect([200, 503], describeAnswer(answer)).toContain(answer.status);
    expectCleanAnswer(answer, { allowSuccess: true });
  } else {
    expect(expected, describeAnswer(answer)).toContain(answer.status);
    expectCleanAnswer(answer);
  }
}

// ---------------------------------------------------------------------------------------------
// The oracle: what the README promises for a JSON body sent with a valid token of user 1
// ---------------------------------------------------------------------------------------------

const between = (n: number, min: number, max: number) => n >= min && n <= max;
/** "Characters" in the README are Unicode code points (a lone surrogate counts as one). */
const characters = (text: string) => [...text].length;

function expectedForJsonBody(bytes: Uint8Array): Expected {
  if (bytes.byteLength > BODY_LIMIT_BYTES) return [413];
  let parsed: unknown;
  try {
    // What a server does with a body: UTF-8 decoding (BOM dropped, bad bytes replaced), JSON.parse.
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return [400];
  }
  return expectedForChat(parsed);
}

function expectedForChat(body: unknown): Expected {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [400];
  const field = (key: string) => (Object.hasOwn(body, key) ? (body as Record<string, unknown>)[key] : undefined);
  const mensaje = field('mensaje');
  const usuarioId = field('usuario_id');
  const proyecto = field('proyecto');

  // Stored text must be valid Unicode without NUL (PostgreSQL's text type cannot hold either).
  const storable = (text: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\u0000/.test(text);
  const mensajeOk = typeof mensaje === 'string' && between(characters(mensaje.trim()), 1, 4000) && storable(mensaje);
  const user =
    typeof usuarioId === 'string' && between(characters(usuarioId.trim()), 1, 128)
      ? usuarioId.trim()
      : typeof usuarioId === 'number' && Number.isSafeInteger(usuarioId)
        ? String(usuarioId)
        : undefined;
  const proyectoOk = typeof proyecto === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(proyecto);

  if (!mensajeOk || user === undefined || !proyectoOk) return [400];
  if (user !== TOKEN_USER) return [403];
  if (proyecto === RESTRICTED_PROJECT) return [403];
  if (!OPEN_PROJECTS.includes(proyecto)) return [404];
  return 'success';
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

/** Characters a header value may carry (undici refuses NUL, CR, LF and anything above U+00FF). */
const headerChar = fc
  .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(0x09))
  .map((code) => String.fromCharCode(code));
const headerValue = (maxLength: number) => fc.string({ unit: headerChar, maxLength });

/** What the server sees of a header value: the client trims leading and trailing spaces and tabs. */
const trimHeader = (value: string) => value.replace(/^[ \t]+|[ \t]+$/g, '');

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const b64urlSegment = fc.oneof(
  fc.string({ unit: fc.constantFrom(...B64URL), maxLength: 120 }),
  fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v) ?? '').toString('base64url')),
);

/** RTL overrides, zero-width characters, BOM, NUL, line separators, combining marks, emoji. */
const SPECIAL_CHARS = ['\u202e', '\u202d', '\u200f', '\u200b', '\u200d', '\u2060', '\ufeff', '\u0000', '\u2028', '\u00a0', '\u0301', '👍🏽', 'ﷺ', 'Å', '\ud800', '\udfff'];

/** Inserts a few special characters at random places. */
const sprinkled = (text: fc.Arbitrary<string>) =>
  fc.tuple(text, fc.array(fc.tuple(fc.nat(), fc.constantFrom(...SPECIAL_CHARS)), { maxLength: 3 })).map(([s, inserts]) =>
    inserts.reduce((acc, [at, ch]) => acc.slice(0, at % (acc.length + 1)) + ch + acc.slice(at % (acc.length + 1)), s),
  );

/** A string of exactly `length` UTF-16 units made of a random repeated chunk (fast even at 40 K). */
const repeatedText = (minLength: number, maxLength: number) =>
  fc
    .tuple(
      fc.integer({ min: minLength, max: maxLength }),
      fc.oneof(...(['grapheme', 'binary', 'grapheme-ascii'] as const).map((unit) => fc.string({ unit, minLength: 1, maxLength: 4 }))),
    )
    .map(([length, chunk]) => chunk.repeat(Math.ceil(length / chunk.length)).slice(0, length));

/** Questions the matcher may answer from the database (so 200s happen), with random numbers and noise. */
const questionArb = sprinkled(
  fc.mixedCase(
    fc
      .tuple(
        fc.constantFrom('¿Cuántas', 'cuantos', 'How many', 'número de', 'total de', 'how much', 'últimas', 'last', 'mejores', 'top', 'muéstrame las', ''),
        fc.oneof(fc.constant(''), fc.nat({ max: 60 }).map(String), fc.constantFrom('0', '50', '51', '3650', '3651', '9'.repeat(300))),
        fc.constantFrom('órdenes', 'pedidos', 'orders', 'ventas', 'clientes', 'customers', 'pedido', 'compras'),
        fc.constantFrom('', 'pendientes', 'enviadas', 'entregadas', 'canceladas', 'pending', 'shipped', 'cancelled', 'en espera', 'en camino'),
        fc.oneof(
          fc.constantFrom('', 'hoy', 'ayer', 'esta semana', 'este mes', 'today', 'this month'),
          fc.oneof(fc.nat({ max: 4000 }), fc.constantFrom(0, 3650, 3651, 1e30)).map((n) => `últimos ${n} días`),
          fc.nat({ max: 4000 }).map((n) => `last ${n} days`),
        ),
        fc.constantFrom('', '?', ' hay?', ' por estado', ' by status', '!!!', ' SELECT 1; --'),
      )
      .map((parts) => parts.filter(Boolean).join(' ')),
  ),
);

const mensajeArb = fc.oneof(
  { weight: 4, arbitrary: questionArb },
  { weight: 2, arbitrary: sprinkled(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 })) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) }, // lone surrogates, astral planes
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('', ' ', '\n\t '), repeatedText(3990, 4010), fc.constantFrom('', '  ', '\u00a0\u3000')).map((p) => p.join('')) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom(' ', '\t', '\n', '\u00a0', '\u3000', '\u2028', '\ufeff', '\u200b', '\u0000'), { maxLength: 6 }).map((a) => a.join('')) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

/** A JSON number as written, e.g. `1.0` or `1e0`, which JSON.stringify would never produce. */
class RawJson {
  constructor(readonly text: string) {}
}
const usuarioIdArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<unknown>('1', 1, ' 1 ', '1\n', '\t1', '\u00a01') },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>(
      '01', '2', 2, 42, '42', -0, 0, 1.5, 2 ** 53, -(2 ** 53), 1e21, '', '   ', '1'.repeat(128), ` ${'1'.repeat(129)}`,
      true, null, [], {}, [1], { id: 1 }, '1\u0000', '１',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('1.0', '1e0', '1E+0', '10e-1', '0.1e1', '-0', '1.000000000000000000001', '1e400').map((t) => new RawJson(t)) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.string({ maxLength: 140 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

const proyectoArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<unknown>(...OPEN_PROJECTS, RESTRICTED_PROJECT) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>(
      'DASHBOARD_MIEMPRESA', 'dashboard_miempresa ', ' dashboard_miempresa', 'dashboard_miempresa\n', 'dashboard_miempresа', // Cyrillic а
      'dashboard-miempresa', '__proto__', 'constructor', 'toString', 'a'.repeat(64), 'a'.repeat(65), '', '*', '%',
      "'; DROP TABLE projects; --", 'dashboard_miempresa\u0000', null, 1, ['dashboard_miempresa'],
    ),
  },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 80 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

const OMIT = Symbol('omit');
const withOmission = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 9, arbitrary: arb }, { weight: 1, arbitrary: fc.constant(OMIT) });

/** Serialises entries in order, keeping duplicates and `__proto__`, with raw JSON numbers. */
function objectText(entries: readonly (readonly [string, unknown])[]): string {
  const members = entries
    .filter(([, value]) => value !== OMIT)
    .map(([key, value]) => `${JSON.stringify(key)}:${value instanceof RawJson ? value.text : (JSON.stringify(value) ?? 'null')}`);
  return `{${members.join(',')}}`;
}

/** Objects with the right keys and right, wrong or odd values, plus duplicate and prototype-ish keys. */
const chatObjectText = fc
  .record({
    mensaje: withOmission(mensajeArb),
    usuario_id: withOmission(usuarioIdArb),
    proyecto: withOmission(proyectoArb),
    extras: fc.array(fc.tuple(fc.constantFrom('__proto__', 'constructor', 'prototype', 'mensaje', 'usuario_id', 'proyecto', 'toString', 'extra'), fc.jsonValue({ maxDepth: 1 })), { maxLength: 2 }),
    extrasFirst: fc.boolean(),
  })
  .map(({ mensaje, usuario_id, proyecto, extras, extrasFirst }) => {
    const fields: [string, unknown][] = [['mensaje', mensaje], ['usuario_id', usuario_id], ['proyecto', proyecto]];
    return objectText(extrasFirst ? [...extras, ...fields] : [...fields, ...extras]);
  });

const VALID_QUESTION = { mensaje: '¿Cuántas órdenes pendientes hay?', usuario_id: '1', proyecto: 'dashboard_miempresa' };
const VALID_BODY = JSON.stringify(VALID_QUESTION);

/** Deeply nested JSON, balanced or not, alone or inside a field; 1..5000 levels. */
const nestedBody = fc
  .tuple(fc.integer({ min: 1, max: 5000 }), fc.constantFrom('array', 'object', 'unbalanced', 'in-mensaje', 'in-usuario_id'))
  .map(([depth, shape]) => {
    const array = '['.repeat(depth) + ']'.repeat(depth);
    switch (shape) {
      case 'array':
        return array;
      case 'object':
        return '{"a":'.repeat(depth) + 'null' + '}'.repeat(depth);
      case 'unbalanced':
        return '['.repeat(depth) + '{"a":'.repeat(Math.min(depth, 10));
      case 'in-mensaje':
        return `{"mensaje":${array},"usuario_id":"1","proyecto":"dashboard_miempresa"}`;
      default:
        return `{"mensaje":"hola","usuario_id":${array},"proyecto":"dashboard_miempresa"}`;
    }
  });

/** Bodies of about the given size: JSON whitespace padding, a long mensaje, or a long other field. */
const sizedBody = fc
  .tuple(
    fc.oneof(fc.integer({ min: BODY_LIMIT_BYTES - 64, max: BODY_LIMIT_BYTES + 64 }), fc.integer({ min: 100, max: 41_000 }), fc.constantFrom(BODY_LIMIT_BYTES, BODY_LIMIT_BYTES + 1)),
    fc.constantFrom('padding', 'mensaje', 'usuario_id', 'proyecto', 'extra'),
    repeatedText(1, 4),
  )
  .map(([bytes, where, chunk]) => {
    if (where === 'padding') {
      const base = encoder.encode(VALID_BODY).byteLength;
      return VALID_BODY + ' '.repeat(Math.max(0, bytes - base));
    }
    const filler = chunk.repeat(Math.ceil(bytes / Math.max(1, encoder.encode(chunk).byteLength))).slice(0, bytes);
    return objectText([...Object.entries(VALID_QUESTION), [where, filler]]);
  });

/** Whatever fc.anything() yields, as JSON when it can be. */
const anythingAsJson = fc.anything({ maxDepth: 3 }).map((value) => {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return String(value);
  }
});

/** Any body at all, as the bytes on the wire. */
const anyBody: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue().map((v) => encoder.encode(JSON.stringify(v))) },
  { weight: 2, arbitrary: anythingAsJson.map((t) => encoder.encode(t)) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }).map((t) => encoder.encode(t)) },
  { weight: 1, arbitrary: sprinkled(fc.string({ unit: 'grapheme', maxLength: 100 })).map((t) => encoder.encode(t)) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 512 }) }, // mostly not UTF-8, not JSON
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Uint8Array.from([0xef, 0xbb, 0xbf, ...encoder.encode(VALID_BODY), ...bytes])) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\ufeff', 'null', '{}', '[]', '"hola"', '{"mensaje":', 'NaN', '1e999', '{"a":1}x', `${VALID_BODY}${VALID_BODY}`).map((t) => encoder.encode(t)) },
);

/** Percent-encodes every byte of the UTF-8 form (lone surrogates become U+FFFD, as in any client). */
const percentEncoded = (text: string) => [...encoder.encode(text)].map((b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`).join('');

const pathSegment = fc.oneof(
  fc.webSegment(),
  fc.string({ unit: 'binary', maxLength: 10 }).map(percentEncoded),
  fc.constantFrom('%', '%zz', '%ff', '%00', '%2F', '%2f%2e%2e', '%C0%AF', '%E0%A4%A', '%25', '%u0041', 'chat', 'v1', '..', '.', ';x=1', 'chat%20', '%63hat', ''),
);

/** The path as Hono routes it: URL-normalised, percent-decoded where possible, no trailing slash. */
function routedPath(path: string): string {
  const { pathname } = new URL(path, 'http://localhost');
  let decoded = pathname;
  try {
    decoded = decodeURI(pathname);
  } catch {
    // Hono keeps the undecodable parts as they are
  }
  return decoded.length > 1 ? decoded.replace(/\/$/, '') : decoded;
}

/** Random paths under /api/ that no route serves. */
const unknownApiPath = fc
  .oneof(
    fc.webPath().map((p) => `/api${p.startsWith('/') ? '' : '/'}${p}`),
    fc.array(pathSegment, { minLength: 1, maxLength: 5 }).map((segments) => `/api/${segments.join('/')}`),
  )
  .chain((path) => fc.option(fc.webQueryParameters(), { nil: undefined }).map((query) => (query === undefined ? path : `${path}?${query}`)))
  .filter((path) => {
    const routed = routedPath(path);
    return routed.startsWith('/api/') && routed !== CHAT && routed !== OPENAPI;
  });

const METHODS = ['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'POST'] as const;
const methodArb = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...METHODS) }, { weight: 1, arbitrary: fc.constantFrom('patch', 'PROPFIND', 'PURGE', 'QUERY', 'M-SEARCH') });

// ---------------------------------------------------------------------------------------------
// Content types
// ---------------------------------------------------------------------------------------------

/** RFC 9110 media type: type "/" subtype *( OWS ";" OWS token "=" ( token / quoted-string ) ). */
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const QUOTED = '"(?:[\\t !#-\\[\\]-~\\x80-\\xff]|\\\\[\\t -~\\x80-\\xff])*"';
const WELL_FORMED_JSON_MEDIA_TYPE = new RegExp(`^application/(?:${TOKEN}\\+)?json(?:[ \\t]*;[ \\t]*${TOKEN}=(?:${TOKEN}|${QUOTED}))*$`, 'i');

/**
 * The JSON media types the OpenAPI validator (@hono/zod-openapi) accepts; the app answers 415
 * for the others, also for some that RFC 9110 allows (e.g. a space before ";").
 */
const acceptedByRouteGate = (ct: string) => /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i.test(ct);

const paramArb = fc
  .tuple(
    fc.constantFrom('', ' ', '\t', '  '),
    fc.constantFrom('', ' '),
    fc.oneof(fc.constantFrom('charset', 'CHARSET', 'q', 'x_y', 'x.y', 'v', 'boundary'), fc.string({ unit: fc.constantFrom(...'abcXYZ019-_.!#'), minLength: 1, maxLength: 6 })),
    fc.oneof(fc.constantFrom('utf-8', 'UTF-8', '"utf-8"', 'latin1', '"a;b"', '""', '1.0'), fc.string({ unit: headerChar, maxLength: 8 })),
    fc.constantFrom('=', '', '=='),
  )
  .map(([before, after, key, value, eq]) => `${before};${after}${key}${eq}${value}`);

const contentTypeArb: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: headerValue(60) },
  { weight: 1, arbitrary: headerValue(30).map((tail) => `application/json${tail}`) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.mixedCase(fc.constantFrom('application/json', 'application/problem+json', 'application/vnd.api+json', 'application/merge-patch+json', 'application/vnd.api2+json', 'application/x_y+json')), fc.array(paramArb, { maxLength: 3 }), fc.constantFrom('', ';', ';;', ' '))
      .map(([type, params, end]) => `${type}${params.join('')}${end}`),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'text/plain', 'text/plain; charset=utf-8', 'multipart/form-data; boundary=----x', 'application/x-www-form-urlencoded',
      'application/xml', 'text/json', 'application/jsonp', 'application/json-seq', 'json', 'application/', '*/*', 'application/*',
      'application/octet-stream', 'text/html', '', ' application/json', 'application/json, text/plain',
    ),
  },
);

/** What a valid question with a valid token gets for a content type, or 'any' (4xx or success). */
function expectedForContentType(sent: string | undefined): Expected | 'any' {
  const ct = sent === undefined ? undefined : trimHeader(sent);
  if (ct === undefined || !/json/i.test(ct)) return [415];
  if (WELL_FORMED_JSON_MEDIA_TYPE.test(ct)) return acceptedByRouteGate(ct) ? 'success' : [415];
  if (!/^\s*application\//i.test(ct)) return [415];
  return 'any';
}

// ---------------------------------------------------------------------------------------------
// Authorization headers
// ---------------------------------------------------------------------------------------------

type AuthCase = { header: string | undefined; expect: 'valid' | 'invalid' | 'maybe' };

function authArb(validToken: string): fc.Arbitrary<AuthCase> {
  const [head = '', payload = '', signature = ''] = validToken.split('.');
  const invalid = (arb: fc.Arbitrary<string | undefined>) => arb.map((header): AuthCase => ({ header, expect: 'invalid' }));
  const spaces = fc.integer({ min: 1, max: 200 }).map((n) => ' '.repeat(n));
  const claimKey = fc.constantFrom('exp', 'iat', 'nbf', 'jti', 'token_type', 'user_id', 'aud', 'iss');
  return fc.oneof(
    invalid(fc.constant(undefined)),
    invalid(headerValue(200)),
    invalid(fc.array(b64urlSegment, { minLength: 1, maxLength: 5 }).map((segments) => `Bearer ${segments.join('.')}`)),
    invalid(fc.tuple(spaces, fc.constantFrom('', 'x', '.', '..', 'a.b.c')).map(([s, t]) => `Bearer${s}${t}`)),
    invalid(fc.tuple(fc.constantFrom('Bearer ', 'Bearer ', ''), fc.integer({ min: 8_000, max: 16_000 }), fc.constantFrom('a', 'eyJ', '.', 'A.')).map(([p, n, c]) => `${p}${c.repeat(Math.ceil(n / c.length))}`)),
    invalid(fc.constantFrom(`Basic ${Buffer.from('1:secret').toString('base64')}`, `Token ${validToken}`, `Bearer ${validToken} ${validToken}`, `Bearer ${validToken}.`, `Bearer .${validToken}`, `Bearer${validToken}`, `Bearer\t${validToken}`, `Bearer ${validToken}x`, validToken)),
    // the valid token with one character of the payload changed, or the signature cut short
    invalid(
      fc.tuple(fc.integer({ min: 1, max: Math.max(1, payload.length - 2) }), fc.constantFrom(...B64URL)).map(([at, ch]) => {
        const changed = payload[at] === ch ? (ch === 'A' ? 'B' : 'A') : ch;
        return `Bearer ${head}.${payload.slice(0, at)}${changed}${payload.slice(at + 1)}.${signature}`;
      }),
    ),
    invalid(fc.integer({ min: 1, max: signature.length }).map((cut) => `Bearer ${head}.${payload}.${signature.slice(0, -cut)}`)),
    invalid(fc.jsonValue({ maxDepth: 2 }).map((claims) => `Bearer ${unsignedToken({ ...accessClaims(1), claims })}`)),
    invalid(fc.constantFrom('HS384', 'HS512').map((alg) => `Bearer ${accessToken(1, {}, { alg: alg as 'HS384' | 'HS512' })}`)),
    invalid(fc.string({ minLength: 1, maxLength: 20 }).map((secret) => `Bearer ${accessToken(1, {}, { secret })}`)),
    invalid(fc.constantFrom({ exp: 1 }, { token_type: 'refresh' }, { jti: '' }, { nbf: 4e9 }, { iat: 4e9 }, { user_id: null }, { user_id: '' }, { user_id: 1.5 }).map((o) => `Bearer ${accessToken(1, o)}`)),
    // scheme in any case, any number of spaces, the right token: accepted
    fc.tuple(fc.mixedCase(fc.constant('bearer')), spaces, fc.constantFrom('', ' ', '\t', '   ')).map(([scheme, s, end]): AuthCase => ({ header: `${scheme}${s}${validToken}${end}`, expect: 'valid' })),
    // correctly signed tokens with random claims (and random headers): anything but a 5xx
    fc
      .tuple(fc.dictionary(claimKey, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }), fc.option(fc.dictionary(fc.constantFrom('alg', 'typ', 'kid', 'crit'), fc.jsonValue({ maxDepth: 1 })), { nil: undefined }))
      .map(([overrides, header]): AuthCase => ({ header: `Bearer ${signToken(accessClaims(1, overrides), header ? { header: { alg: 'HS256', ...header } } : {})}`, expect: 'maybe' })),
  );
}

/** X-Request-Id values: safe ones of every length around the 255 limit, and unsafe ones. */
const requestIdArb = fc.oneof(
  fc.stringMatching(/^[\w=-]{1,20}$/),
  fc.integer({ min: 250, max: 260 }).chain((n) => fc.string({ unit: fc.constantFrom(...'abcXYZ019_-='), minLength: n, maxLength: n })),
  headerValue(300),
  fc.constantFrom('', ' ', 'a b', '<script>', '../../etc/passwd', 'ñ', 'id\t', 'x'.repeat(1000)),
);

// ---------------------------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------------------------

/** Generated cases per property (12,600 in all), times FUZZ_SCALE. */
const BASE_RUNS = {
  anyBody: 2_500,
  chatObjects: 3_000,
  sizesAndNesting: 600,
  contentTypes: 1_500,
  authorization: 2_000,
  methodsAndPaths: 2_000,
  requestIds: 1_000,
};
const RUNS = Object.fromEntries(Object.entries(BASE_RUNS).map(([name, runs]) => [name, runs * SCALE])) as typeof BASE_RUNS;

describe('fuzzing the API with fast-check', () => {
  let test: TestDatabase;
  let app: App;
  let token: string;
  let json: (extra?: Record<string, string | undefined>) => Record<string, string | undefined>;

  beforeAll(async () => {
    test = await createSeededDatabase('embedded');
    // The log keeps only unexpected errors, so that a failing case shows what went wrong inside.
    app = buildApp(test.db, {}, { log: (entry) => void (entry.msg === 'unhandled error' && (lastUnhandled = entry)) });
    token = accessToken(1, { exp: Math.floor(Date.now() / 1000) + 3600 }); // outlives long FUZZ_SCALE runs
    json = (extra = {}) => ({ 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, ...extra });
  });
  afterAll(async () => {
    await test?.drop();
    console.info(
      `fuzz: ${requestsSent} requests (${Object.values(RUNS).reduce((a, b) => a + b, 0)} generated cases: ${JSON.stringify(RUNS)}); ` +
        `statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`,
    );
  });

  it(
    'any body (JSON values, fc.anything, Unicode, lone surrogates, non-UTF-8 bytes, BOM, empty) gets the contract answer',
    async () => {
      await fc.assert(
        fc.asyncProperty(anyBody, async (body) => {
          expectAnswer(await send(app, { headers: json(), body }), expectedForJsonBody(body));
        }),
        { numRuns: RUNS.anyBody },
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'objects with the right keys and right, wrong or odd values get 200/503 when valid and the exact 4xx otherwise',
    async () => {
      await fc.assert(
        fc.asyncProperty(chatObjectText, async (text) => {
          const body = encoder.encode(text);
          expectAnswer(await send(app, { headers: json(), body }), expectedForJsonBody(body));
        }),
        { numRuns: RUNS.chatObjects },
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'huge bodies around the 32 KiB limit and JSON nested up to 5000 levels',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(sizedBody, nestedBody), async (text) => {
          const body = encoder.encode(text);
          expectAnswer(await send(app, { headers: json(), body }), expectedForJsonBody(body));
        }),
        { numRuns: RUNS.sizesAndNesting },
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'content types: JSON ones are accepted, others get 415, none gets a 5xx',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          contentTypeArb,
          fc.constantFrom(VALID_BODY, '{"mensaje":"hola","usuario_id":1,"proyecto":"conocimiento_general"}', 'mensaje=hola', ''),
          fc.constantFrom(CHAT, `${CHAT}/`, '/api/v1/%63hat', `${CHAT}?x=1`),
          async (contentType, body, path) => {
            const answer = await send(app, { path, headers: json({ 'Content-Type': contentType }), body });
            const expected = expectedForContentType(contentType);
            if (expected === 'any') expectCleanAnswer(answer, { allowSuccess: true });
            else if (expected === 'success') expectAnswer(answer, expectedForJsonBody(encoder.encode(body)));
            else expectAnswer(answer, expected);
          },
        ),
        { numRuns: RUNS.contentTypes },
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'Authorization headers: only the right token passes; everything else is a 401 with WWW-Authenticate',
    async () => {
      await fc.assert(
        fc.asyncProperty(authArb(token), async ({ header, expect: kind }) => {
          const answer = await send(app, { headers: json({ Authorization: header }), body: VALID_BODY });
          if (kind === 'valid') {
            expectAnswer(answer, 'success');
          } else if (kind === 'invalid') {
            expectAnswer(answer, [401]);
            expect(answer.headers.get('www-authenticate'), describeAnswer(answer)).toMatch(/^Bearer realm="chat-api"/);
          } else {
            expectCleanAnswer(answer, { allowSuccess: true });
          }
        }),
        { numRuns: RUNS.authorization },
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'methods and paths: random methods on the chat route and random paths under /api/ get 404/405-style problems',
    async () => {
      const pathArb = fc.oneof(
        { weight: 2, arbitrary: fc.tuple(methodArb.filter((m) => m !== 'POST'), fc.constantFrom(CHAT, `${CHAT}/`, `${CHAT}?x=1`, `${CHAT}/?a=%`)) },
        { weight: 1, arbitrary: fc.tuple(methodArb.filter((m) => !['GET', 'HEAD'].includes(m)), fc.constant(OPENAPI)) },
        { weight: 6, arbitrary: fc.tuple(methodArb, unknownApiPath) },
      );
      await fc.assert(
        fc.asyncProperty(
          pathArb,
          fc.option(anyBody, { nil: undefined }),
          fc.constantFrom(undefined, 'application/json', 'text/plain'),
          fc.constantFrom<string | undefined>(undefined, 'valid', 'Bearer nope'),
          async ([method, path], body, contentType, auth) => {
            const canHaveBody = !['GET', 'HEAD'].includes(method.toUpperCase());
            const answer = await send(app, {
              method,
              path,
              headers: { 'Content-Type': contentType, Authorization: auth === 'valid' ? `Bearer ${token}` : auth },
              ...(canHaveBody && body !== undefined ? { body } : {}),
            });
            expectCleanAnswer(answer);
            if (method.toUpperCase() !== 'HEAD' && routedPath(path) === CHAT) {
              expect(answer.status, describeAnswer(answer)).toBe(405);
              expect(answer.headers.get('allow'), describeAnswer(answer)).toBe('POST');
            }
            if (method.toUpperCase() !== 'HEAD' && routedPath(path) !== CHAT && routedPath(path) !== OPENAPI) {
              expect([404, 413], describeAnswer(answer)).toContain(answer.status);
            }
          },
        ),
        { numRuns: RUNS.methodsAndPaths },
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'X-Request-Id: a safe one (1..255 of A-Z a-z 0-9 _ - =) is echoed, any other is replaced by a UUID',
    async () => {
      await fc.assert(
        fc.asyncProperty(requestIdArb, fc.constantFrom(VALID_BODY, '{}', 'x'), fc.boolean(), async (requestId, body, withToken) => {
          const answer = await send(app, { headers: { ...json({ 'X-Request-Id': requestId }), ...(withToken ? {} : { Authorization: undefined }) }, body });
          expectCleanAnswer(answer, { allowSuccess: true });
          const received = trimHeader(requestId);
          const echoed = answer.headers.get('x-request-id');
          if (/^[\w=-]{1,255}$/.test(received)) expect(echoed, describeAnswer(answer)).toBe(received);
          else expect(echoed, describeAnswer(answer)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        }),
        { numRuns: RUNS.requestIds },
      );
    },
    TEST_TIMEOUT_MS,
  );
});

/**
 * Issue 14: the widest model-written queries the guard lets through, generated, through the whole
 * chat API on the real PostgreSQL (a local model server sends each as its run_sql call). Every answer
 * is a 200 within the byte caps: the rows' JSON within GUARDED_SQL_MAX_BYTES (plus the rest of the
 * answer), every value within GUARDED_SQL_MAX_VALUE_BYTES, or the query refused; never answered whole.
 */
describe('fuzzing model-written SQL sizes', () => {
  let test: TestDatabase;
  let model: FakeOpenAI;
  let app: App;
  const utf8 = new TextEncoder();
  beforeAll(async () => {
    test = await createSeededDatabase('postgres');
    model = await new FakeOpenAI().start();
    app = buildApp(
      test.db,
      { OPENAI_API_KEY: 'sk-local', OPENAI_BASE_URL: model.baseURL, OPENAI_MAX_RETRIES: '0', MODEL_BREAKER_FAILURES: '0', GUARDED_SQL_TIMEOUT_MS: '1000' },
      { sqlParser: await loadSqlParser() },
    );
  });
  afterAll(async () => {
    await model?.stop();
    await test?.drop();
  });

  it('answers every generated wide query within the byte caps', async () => {
    await fc.assert(
      fc.asyncProperty(wideQueryArb, async (sql) => {
        model.script.length = 0;
        model.script.push({ toolCalls: [{ name: 'run_sql', arguments: JSON.stringify({ sql }) }] }, { text: 'Resumen de los datos.' });
        const response = await app.request('/api/v1/chat', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${accessToken(1)}` },
          body: JSON.stringify({ mensaje: 'dame un análisis libre de los pedidos, por favor', usuario_id: '1', proyecto: 'dashboard_miempresa' }),
        });
        const text = await response.text();
        expect(response.status, text.slice(0, 300)).toBe(200);
        expect(utf8.encode(text).length).toBeLessThanOrEqual(DEFAULT_MAX_BYTES + 65_536);
        const { datos } = JSON.parse(text) as { datos?: { rows?: Record<string, unknown>[] } };
        for (const row of datos?.rows ?? []) {
          for (const value of Object.values(row)) {
            const shown = typeof value === 'string' ? value : value !== null && typeof value === 'object' ? JSON.stringify(value) : '';
            expect(utf8.encode(shown).length).toBeLessThanOrEqual(DEFAULT_MAX_VALUE_BYTES);
          }
        }
      }),
      { numRuns: 30 * SCALE },
    );
  }, 300_000);
});
