import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEntry } from '../src/app.js';
import { findDuplicateKey } from '../src/services/auth/json-duplicates.js';
import { createTokenVerifier, TokenRejected } from '../src/services/auth/simplejwt.js';
import { ConfigError } from '../src/config.js';
import { ask, buildApp, question, type Settings } from './support/app.js';
import { expectUnauthorized } from './support/problems.js';
import { countingDatabase, createSeededDatabase, type TestDatabase } from './support/databases.js';
import {
  accessClaims,
  generateKeyPair,
  hmacSigner,
  keySigner,
  signJws,
  signTexts,
  TEST_SECRET,
  type AsymmetricAlg,
  type Signer,
  type TestKeyPair,
} from './support/tokens.js';

/**
 * Hardened under attack: every known way to forge, stretch or confuse a JWT is refused with a
 * 401 problem before the database is touched, for an HMAC set-up (HS256 + JWT_SECRET_KEY), a
 * PEM public key (RS256 + JWT_PUBLIC_KEY) and a JWKS (ES256 + JWT_JWKS_URL, served by a loopback
 * server this file starts). That server also hosts "attacker" URLs; the service must never
 * request them, whatever the token's `jku`, `x5u` or `kid` say.
 *
 * Every app runs on a fixed clock; the JWKS cache tests move their own clock.
 */

const FIXED_MS = Date.parse('2025-03-14T15:09:26.500Z');
const NOW = Math.floor(FIXED_MS / 1000);
const fixedNow = () => new Date(FIXED_MS);
const QUESTION = '¿Cuántas órdenes pendientes hay?';
const AUDIENCE = 'chat-api';
const ISSUER = 'https://auth.miempresa.example';

type Claims = Record<string, unknown>;

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');
/** A JWS over exact segment texts (any encoding), signed over exactly those characters. */
const signSegments = (head: string, body: string, signer: Signer) => `${head}.${body}.${b64url(signer.sign(`${head}.${body}`))}`;

// ---------------------------------------------------------------------------------------------
// The loopback key server: JWKS documents by path, attacker URLs, and a count of every request.
// ---------------------------------------------------------------------------------------------

type Route = { status?: number; body?: string; headers?: Record<string, string>; hang?: boolean };
const routes = new Map<string, () => Route>();
const requested: string[] = [];
let server: Server;
let base = '';

const hitsTo = (prefix: string) => requested.filter((path) => path.startsWith(prefix)).length;
const serveJwks = (path: string, keys: () => unknown[]) =>
  routes.set(path, () => ({ body: JSON.stringify({ keys: keys() }), headers: { 'Content-Type': 'application/json' } }));

async function startKeyServer() {
  server = createServer((req, res) => {
    requested.push(req.url ?? '');
    const route = routes.get(req.url ?? '')?.() ?? { status: 404, body: 'not found' };
    if (route.hang) return; // never answers
    res.writeHead(route.status ?? 200, route.headers ?? {});
    res.end(route.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A loopback URL where nothing listens. */
async function closedUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}/jwks.json`;
}

// ---------------------------------------------------------------------------------------------
// Keys: the issuer's (trusted) and an attacker's, per set-up.
// ---------------------------------------------------------------------------------------------

const trustedRsa = generateKeyPair('RS256', 'trusted-rs', 'trusted-rsa');
const trustedEc = generateKeyPair('ES256', 'trusted-es256');
const attackerRsa = generateKeyPair('RS256', 'attacker-rs', 'attacker-rsa');
const attackerEc = generateKeyPair('ES256', 'attacker-es256');
const ATTACKER_SECRET = 'attacker-secret-that-is-at-least-32-bytes-long!';
const attackerHmac = hmacSigner(ATTACKER_SECRET);
const attackerOctJwk = { kty: 'oct', k: b64url(ATTACKER_SECRET), kid: 'attacker-oct', alg: 'HS256' };

type SetupName = 'HS256' | 'RS256' | 'ES256';
type Setup = {
  name: SetupName;
  title: string;
  settings: () => Settings;
  /** The issuer's key. */
  signer: Signer;
  /** The header the issuer writes (a JWKS issuer names its key with kid). */
  header: () => Record<string, unknown>;
  /** The attacker's key for the same algorithm, and that key as a JWK. */
  attacker: Signer;
  attackerJwk: Record<string, unknown>;
  /** What an attacker can read about the public key, to use as an HMAC secret. */
  publicKeyTexts: string[];
};

const SETUPS: Setup[] = [
  {
    name: 'HS256',
    title: 'HS256 with JWT_SECRET_KEY',
    settings: () => ({}),
    signer: hmacSigner(TEST_SECRET),
    header: () => ({ alg: 'HS256', typ: 'JWT' }),
    attacker: attackerHmac,
    attackerJwk: attackerOctJwk,
    publicKeyTexts: [],
  },
  {
    name: 'RS256',
    title: 'RS256 with JWT_PUBLIC_KEY (JWT_SECRET_KEY also set, and unused)',
    settings: () => ({ ALGORITHM: 'RS256', JWT_PUBLIC_KEY: trustedRsa.publicKeyPem }),
    signer: trustedRsa.signer,
    header: () => ({ alg: 'RS256', typ: 'JWT' }),
    attacker: attackerRsa.signer,
    attackerJwk: attackerRsa.publicJwk,
    publicKeyTexts: [trustedRsa.publicKeyPem, trustedRsa.publicKeyPem.trim(), JSON.stringify(trustedRsa.publicJwk)],
  },
  {
    name: 'ES256',
    title: 'ES256 with JWT_JWKS_URL (JWT_SECRET_KEY also set, and unused)',
    settings: () => ({ ALGORITHM: 'ES256', JWT_JWKS_URL: `${base}/jwks/main.json` }),
    signer: trustedEc.signer,
    header: () => ({ alg: 'ES256', typ: 'JWT', kid: trustedEc.kid }),
    attacker: attackerEc.signer,
    attackerJwk: attackerEc.publicJwk,
    publicKeyTexts: [trustedEc.publicKeyPem, JSON.stringify(trustedEc.publicJwk), JSON.stringify({ keys: [trustedEc.publicJwk] })],
  },
];

const claims = (overrides: Claims = {}, user: number | string = 1): Claims => accessClaims(user, overrides, FIXED_MS);
const withoutClaims = (...names: string[]) => {
  const payload = claims();
  for (const name of names) delete payload[name];
  return payload;
};
/** A token as the set-up's issuer signs it, with optional claim overrides and header changes. */
const mint = (s: Setup, overrides: Claims = {}, header: Record<string, unknown> = s.header()) => signJws(claims(overrides), s.signer, header);

// ---------------------------------------------------------------------------------------------
// The app under attack.
// ---------------------------------------------------------------------------------------------

let test: TestDatabase;
let logs: LogEntry[] = [];
const counting = countingDatabase(() => test.db);
const countingDb = counting.db;

const apps = new Map<string, ReturnType<typeof buildApp>>();
function appFor(settings: Settings) {
  const key = JSON.stringify(settings);
  let app = apps.get(key);
  if (!app) apps.set(key, (app = buildApp(countingDb, settings, { now: fixedNow, log: (entry) => logs.push(entry) })));
  return app;
}

const send = (app: ReturnType<typeof buildApp>, authorization: string | null, usuario_id: unknown = '1') =>
  ask(app, question(QUESTION, 'dashboard_miempresa', usuario_id), {
    token: null,
    headers: authorization === null ? {} : { Authorization: authorization },
  });

async function expectAnswered(response: Response) {
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(JSON.parse(text)).toMatchObject({ fuente: 'database', consulta: 'aggregate' });
}

beforeAll(async () => {
  await startKeyServer();
  serveJwks('/jwks/main.json', () => [trustedEc.publicJwk]);
  // What a jku/x5u/kid URL would find: the attacker's keys. Nothing may ever fetch them.
  serveJwks('/attacker/jwks.json', () => [attackerRsa.publicJwk, attackerEc.publicJwk, attackerOctJwk]);
  routes.set('/attacker/cert.pem', () => ({ body: attackerRsa.publicKeyPem }));
  test = await createSeededDatabase('embedded', fixedNow());
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await test?.drop();
});

// ---------------------------------------------------------------------------------------------
// The attacks.
// ---------------------------------------------------------------------------------------------

type Attack = {
  name: string;
  /** The set-ups it applies to (default: all). */
  only?: SetupName[];
  /** Settings on top of the set-up's. */
  settings?: Settings;
  token: (s: Setup) => string;
  /** The whole Authorization header (default: "Bearer <token>"). */
  authorization?: (token: string) => string;
  usuario_id?: string;
};

const unsigned = (s: Setup, alg: unknown) => `${b64url(JSON.stringify({ ...s.header(), alg }))}.${b64url(JSON.stringify(claims()))}.`;
const attackerUrl = (path: string) => `${base}/attacker/${path}`;

/** The standard-base64 text of a JSON value that contains "+" or "/" (a pad claim moves the bytes). */
function standardBase64Payload(): string {
  for (let n = 0; n < 64; n++) {
    const text = Buffer.from(JSON.stringify(claims({ pad: '~'.repeat(n) }))).toString('base64').replace(/=+$/, '');
    if (/[+/]/.test(text)) return text;
  }
  throw new Error('no payload with + or / found');
}

/** A payload whose base64url form needs "=" padding (length not a multiple of 4). */
function paddedPayload(): string {
  for (let n = 0; n < 4; n++) {
    const text = Buffer.from(JSON.stringify(claims({ pad: 'p'.repeat(n) }))).toString('base64');
    if (text.endsWith('=')) return text.replaceAll('+', '-').replaceAll('/', '_');
  }
  throw new Error('no padded payload found');
}

/** The claims JSON with a second `name` member placed before the real ones (JSON.parse keeps the last). */
const duplicated = (name: string, first: unknown, overrides: Claims = {}) => {
  const text = JSON.stringify(claims(overrides));
  return `{${JSON.stringify(name)}:${JSON.stringify(first)},${text.slice(1)}`;
};

const ATTACKS: Attack[] = [
  // --- alg ---------------------------------------------------------------------------------
  ...['none', 'None', 'NONE', 'nOnE', ''].map(
    (alg): Attack => ({ name: `alg ${JSON.stringify(alg)}, unsigned (empty signature)`, token: (s) => unsigned(s, alg) }),
  ),
  { name: 'alg "none" carrying a valid signature of another token', token: (s) => `${unsigned(s, 'none')}${mint(s).split('.')[2]}` },
  { name: 'no alg member, correctly signed', token: (s) => signJws(claims(), s.signer, { typ: 'JWT', kid: trustedEc.kid }) },
  ...[null, 256, ['HS256'], { name: 'HS256' }].map(
    (alg): Attack => ({ name: `alg ${JSON.stringify(alg)} (not a string), correctly signed`, token: (s) => mint(s, {}, { ...s.header(), alg }) }),
  ),
  { name: 'the configured alg in lowercase, correctly signed', token: (s) => mint(s, {}, { ...s.header(), alg: s.name.toLowerCase() }) },
  { name: 'the configured alg with a trailing space, correctly signed', token: (s) => mint(s, {}, { ...s.header(), alg: `${s.name} ` }) },
  { name: 'HS512 signed with the secret when HS256 is configured', only: ['HS256'], token: () => signJws(claims(), hmacSigner(TEST_SECRET, 'HS512')) },
  {
    name: 'RS512 signed with the trusted key when RS256 is configured',
    only: ['RS256'],
    token: () => signJws(claims(), keySigner('RS512', trustedRsa.privateKey)),
  },
  {
    name: 'ES384 under the trusted kid when ES256 is configured',
    only: ['ES256'],
    token: () => signJws(claims(), generateKeyPair('ES384').signer, { alg: 'ES384', typ: 'JWT', kid: trustedEc.kid }),
  },
  {
    name: 'a "crit" header, correctly signed',
    token: (s) => mint(s, {}, { ...s.header(), crit: ['exp'], exp: NOW + 300 }),
  },
  // --- algorithm confusion -------------------------------------------------------------------
  ...[0, 1, 2].map(
    (i): Attack => ({
      name: `HS256 signed with the public key as the HMAC secret (${['PEM', 'PEM without its final newline', 'its JWK/JWKS JSON'][i]})`,
      only: ['RS256', 'ES256'],
      token: (s) => signJws(claims(), hmacSigner(s.publicKeyTexts[i]!), { alg: 'HS256', typ: 'JWT', kid: trustedEc.kid }),
    }),
  ),
  {
    name: 'HS256 signed with JWT_SECRET_KEY, which is set but unused with an asymmetric ALGORITHM',
    only: ['RS256', 'ES256'],
    token: () => signJws(claims(), hmacSigner(TEST_SECRET), { alg: 'HS256', typ: 'JWT', kid: trustedEc.kid }),
  },
  { name: 'RS256 signed by an attacker RSA key', only: ['HS256'], token: () => signJws(claims(), attackerRsa.signer) },
  // --- keys named by the token ---------------------------------------------------------------
  {
    name: 'a "jwk" header holding the attacker key, signed by that key',
    token: (s) => signJws(claims(), s.attacker, { ...s.header(), kid: s.attackerJwk.kid, jwk: s.attackerJwk }),
  },
  {
    name: 'a "jku" header pointing at the attacker JWKS, signed by the attacker',
    token: (s) => signJws(claims(), s.attacker, { ...s.header(), kid: s.attackerJwk.kid, jku: attackerUrl('jwks.json') }),
  },
  {
    name: 'a "jku" header pointing at the attacker JWKS, under the trusted kid',
    token: (s) => signJws(claims(), s.attacker, { ...s.header(), jku: attackerUrl('jwks.json') }),
  },
  {
    name: 'an "x5u" header pointing at the attacker certificate, signed by the attacker',
    token: (s) => signJws(claims(), s.attacker, { ...s.header(), x5u: attackerUrl('cert.pem') }),
  },
  {
    name: 'an "x5c" header holding the attacker key, signed by the attacker',
    token: (s) =>
      signJws(claims(), s.attacker, { ...s.header(), x5c: [attackerRsa.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')] }),
  },
  {
    name: 'a "kid" that is an attacker URL',
    token: (s) => signJws(claims(), s.attacker, { ...s.header(), kid: attackerUrl('jwks.json') }),
  },
  {
    name: 'a path-traversal "kid" (../../dev/null) with a token signed by an empty HMAC key',
    token: (s) => signJws(claims(), hmacSigner(''), { ...s.header(), alg: 'HS256', kid: '../../../../../../dev/null' }),
  },
  {
    name: 'a path-traversal "kid" (../../dev/null), signed by the attacker',
    token: (s) => signJws(claims(), s.attacker, { ...s.header(), kid: '../../../../../../dev/null' }),
  },
  {
    name: 'an SQL-injection "kid" naming the attacker secret, signed with it',
    token: (s) => signJws(claims(), attackerHmac, { ...s.header(), alg: 'HS256', kid: "x' UNION SELECT 'attacker-secret' --" }),
  },
  { name: 'an unknown "kid", signed by the attacker', token: (s) => signJws(claims(), s.attacker, { ...s.header(), kid: 'no-such-key' }) },
  {
    name: 'no "kid" when every JWKS key has one, signed by the issuer',
    only: ['ES256'],
    token: (s) => mint(s, {}, { alg: 'ES256', typ: 'JWT' }),
  },
  { name: 'an empty "kid", signed by the issuer', only: ['ES256'], token: (s) => mint(s, {}, { alg: 'ES256', typ: 'JWT', kid: '' }) },
  { name: 'a "kid" that is not a string, signed by the issuer', only: ['ES256'], token: (s) => mint(s, {}, { alg: 'ES256', typ: 'JWT', kid: 1 }) },
  // --- signature -----------------------------------------------------------------------------
  { name: 'the signature stripped (two segments)', token: (s) => mint(s).split('.').slice(0, 2).join('.') },
  { name: 'an empty signature', token: (s) => `${mint(s).split('.').slice(0, 2).join('.')}.` },
  {
    name: 'the signature of another valid token',
    token: (s) => {
      const [head, body] = mint(s).split('.');
      return `${head}.${body}.${mint(s).split('.')[2]}`;
    },
  },
  { name: 'a truncated signature', token: (s) => mint(s).slice(0, -4) },
  {
    name: 'a signature with one bit flipped',
    token: (s) => {
      const [head, body, signature] = mint(s).split('.') as [string, string, string];
      const bytes = Buffer.from(signature, 'base64url');
      bytes[bytes.length >> 1]! ^= 1;
      return `${head}.${body}.${b64url(bytes)}`;
    },
  },
  { name: 'a token signed by another key', token: (s) => signJws(claims(), s.attacker, s.header()) },
  {
    name: 'an ECDSA signature in DER instead of JWS r||s, by the trusted key',
    only: ['ES256'],
    token: (s) => signJws(claims(), keySigner('ES256', trustedEc.privateKey, 'der'), s.header()),
  },
  {
    name: 'an all-zero ECDSA signature (r = s = 0, "psychic signatures")',
    only: ['ES256'],
    token: (s) => `${mint(s).split('.').slice(0, 2).join('.')}.${b64url(Buffer.alloc(64))}`,
  },
  // --- the payload ---------------------------------------------------------------------------
  {
    name: 'a payload changed after signing (user_id 1 → 2, usuario_id "2")',
    usuario_id: '2',
    token: (s) => {
      const [head, , signature] = mint(s).split('.');
      return `${head}.${b64url(JSON.stringify(claims({}, 2)))}.${signature}`;
    },
  },
  {
    name: 'a payload changed after signing (exp extended)',
    token: (s) => {
      const [head, , signature] = mint(s, { exp: NOW - 10 }).split('.');
      return `${head}.${b64url(JSON.stringify(claims({ exp: NOW + 3600 })))}.${signature}`;
    },
  },
  { name: 'an expired token', token: (s) => mint(s, { iat: NOW - 301, exp: NOW - 1 }) },
  { name: 'exp exactly now', token: (s) => mint(s, { iat: NOW - 300, exp: NOW }) },
  { name: 'nbf one second in the future', token: (s) => mint(s, { nbf: NOW + 1 }) },
  { name: 'nbf far in the future', token: (s) => mint(s, { nbf: NOW + 86_400 }) },
  { name: 'no exp', token: (s) => signJws(withoutClaims('exp'), s.signer, s.header()) },
  { name: 'no jti', token: (s) => signJws(withoutClaims('jti'), s.signer, s.header()) },
  { name: 'no token_type', token: (s) => signJws(withoutClaims('token_type'), s.signer, s.header()) },
  { name: 'a refresh token', token: (s) => mint(s, { token_type: 'refresh' }) },
  { name: 'a sliding token', token: (s) => mint(s, { token_type: 'sliding' }) },
  { name: 'a wrong aud when JWT_AUDIENCE is set', settings: { JWT_AUDIENCE: AUDIENCE }, token: (s) => mint(s, { aud: 'other-service' }) },
  { name: 'no aud when JWT_AUDIENCE is set', settings: { JWT_AUDIENCE: AUDIENCE }, token: (s) => mint(s) },
  { name: 'a wrong iss when JWT_ISSUER is set', settings: { JWT_ISSUER: ISSUER }, token: (s) => mint(s, { iss: 'https://evil.example' }) },
  { name: 'no iss when JWT_ISSUER is set', settings: { JWT_ISSUER: ISSUER }, token: (s) => mint(s) },
  // --- duplicate names (JSON.parse keeps the last, other parsers the first) -------------------
  {
    name: 'a duplicate user_id claim ({"user_id":2, …, "user_id":1}), correctly signed',
    token: (s) => signTexts(JSON.stringify(s.header()), duplicated('user_id', 2), s.signer),
  },
  {
    name: 'a duplicate exp claim (an expired one first), correctly signed',
    token: (s) => signTexts(JSON.stringify(s.header()), duplicated('exp', NOW - 3600), s.signer),
  },
  {
    name: 'a duplicate token_type claim ("refresh" first), correctly signed',
    token: (s) => signTexts(JSON.stringify(s.header()), duplicated('token_type', 'refresh'), s.signer),
  },
  {
    name: 'a duplicate user_id spelled with an escape ("user\\u005fid"), correctly signed',
    token: (s) => signTexts(JSON.stringify(s.header()), `{"user\\u005fid":2,${JSON.stringify(claims()).slice(1)}`, s.signer),
  },
  {
    name: 'a duplicate name inside a nested claim, correctly signed',
    token: (s) => signTexts(JSON.stringify(s.header()), `{"profile":{"role":"admin","role":"user"},${JSON.stringify(claims()).slice(1)}`, s.signer),
  },
  {
    name: 'a duplicate alg header member ("none" first), correctly signed',
    token: (s) => signTexts(`{"alg":"none",${JSON.stringify(s.header()).slice(1)}`, JSON.stringify(claims()), s.signer),
  },
  // --- shape ---------------------------------------------------------------------------------
  { name: 'one segment', token: (s) => mint(s).split('.')[1]! },
  { name: 'four segments', token: (s) => `${mint(s)}.${mint(s).split('.')[2]}` },
  { name: 'five segments (a JWE shape)', token: (s) => `${mint(s)}.AAAA.BBBB` },
  { name: 'only dots', token: () => '..' },
  {
    name: 'a payload in standard base64 with "+" or "/", correctly signed over that text',
    token: (s) => signSegments(b64url(JSON.stringify(s.header())), standardBase64Payload(), s.signer),
  },
  {
    name: 'a payload with "=" padding, correctly signed over that text',
    token: (s) => signSegments(b64url(JSON.stringify(s.header())), paddedPayload(), s.signer),
  },
  {
    name: 'a header with "=" padding, correctly signed over that text',
    token: (s) => signSegments(`${b64url(JSON.stringify(s.header()))}==`, b64url(JSON.stringify(claims())), s.signer),
  },
  {
    name: 'a segment with a character outside base64url, correctly signed over that text',
    token: (s) => signSegments(b64url(JSON.stringify(s.header())), `${b64url(JSON.stringify(claims()))}%`, s.signer),
  },
  {
    name: 'a payload that is not JSON, correctly signed',
    token: (s) => signTexts(JSON.stringify(s.header()), 'user_id=1&token_type=access', s.signer),
  },
  {
    name: 'a header that is not JSON, correctly signed',
    token: (s) => signTexts(`alg=${s.name}`, JSON.stringify(claims()), s.signer),
  },
  ...(['[]', '"access"', '42', 'null', 'true'] as const).map(
    (json): Attack => ({
      name: `a payload that is JSON ${json} (not an object), correctly signed`,
      token: (s) => signTexts(JSON.stringify(s.header()), json === '[]' ? JSON.stringify([claims()]) : json, s.signer),
    }),
  ),
  {
    name: 'a header that is a JSON array, correctly signed',
    token: (s) => signTexts(JSON.stringify([s.header()]), JSON.stringify(claims()), s.signer),
  },
  {
    name: 'a payload that is not UTF-8, correctly signed',
    token: (s) =>
      signSegments(
        b64url(JSON.stringify(s.header())),
        b64url(Buffer.concat([Buffer.from(JSON.stringify(claims()).slice(0, -1)), Buffer.from(',"x":"\xff"}', 'latin1')])),
        s.signer,
      ),
  },
  {
    name: 'a correctly signed token longer than 8 KiB',
    token: (s) => {
      const token = mint(s, { pad: 'x'.repeat(8192) });
      expect(token.length).toBeGreaterThan(8192);
      return token;
    },
  },
  // --- the Authorization header --------------------------------------------------------------
  { name: 'a valid token under the Basic scheme', token: (s) => mint(s), authorization: (t) => `Basic ${t}` },
  { name: 'a valid token under the Token scheme', token: (s) => mint(s), authorization: (t) => `Token ${t}` },
  { name: 'a valid token under the JWT scheme', token: (s) => mint(s), authorization: (t) => `JWT ${t}` },
  { name: 'a valid token with no scheme', token: (s) => mint(s), authorization: (t) => t },
  { name: 'a valid token glued to "Bearer"', token: (s) => mint(s), authorization: (t) => `Bearer${t}` },
  { name: 'a valid token followed by a second word', token: (s) => mint(s), authorization: (t) => `Bearer ${t} ${t}` },
];

describe.each(SETUPS.map((s) => [s.title, s] as const))('%s', (_title, setup) => {
  it('accepts a valid token (the control for every refusal below)', async () => {
    await expectAnswered(await send(appFor(setup.settings()), `Bearer ${mint(setup)}`));
  });

  it('accepts a valid token carrying jwk, jku, x5u and x5c headers, and fetches none of them', async () => {
    const before = hitsTo('/attacker');
    const header = {
      ...setup.header(),
      jwk: setup.attackerJwk,
      jku: attackerUrl('jwks.json'),
      x5u: attackerUrl('cert.pem'),
      x5c: [attackerRsa.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')],
    };
    await expectAnswered(await send(appFor(setup.settings()), `Bearer ${mint(setup, {}, header)}`));
    expect(hitsTo('/attacker')).toBe(before);
  });

  if (setup.name !== 'ES256') {
    it('ignores kid without a JWKS: a valid token with any kid is accepted, and the kid is not fetched', async () => {
      await expectAnswered(await send(appFor(setup.settings()), `Bearer ${mint(setup, {}, { ...setup.header(), kid: attackerUrl('x') })}`));
      expect(hitsTo('/attacker')).toBe(0);
    });
  }

  it('accepts the same claims without a duplicate name (the control for the duplicate-name refusals)', async () => {
    const token = signTexts(JSON.stringify(setup.header()), JSON.stringify(claims({ profile: { role: 'user' } })), setup.signer);
    await expectAnswered(await send(appFor(setup.settings()), `Bearer ${token}`));
  });

  const attacks = ATTACKS.filter((attack) => !attack.only || attack.only.includes(setup.name));
  it.each(attacks.map((a) => [a.name, a] as const))('refuses %s', async (_name, attack) => {
    const app = appFor({ ...setup.settings(), ...attack.settings });
    const token = attack.token(setup);
    const authorization = attack.authorization ? attack.authorization(token) : `Bearer ${token}`;
    const [before, attackerHits] = [counting.queries, hitsTo('/attacker')];
    logs = [];
    const { body: problem } = await expectUnauthorized(await send(app, authorization, attack.usuario_id ?? '1'), token);
    expect(problem.detail).not.toBe('signing keys unavailable');
    expect(counting.queries, 'a refused token must not reach the database').toBe(before);
    expect(hitsTo('/attacker'), 'nothing named by a token may be fetched').toBe(attackerHits);
    expect(logs.filter((entry) => entry.level === 'error')).toEqual([]);
  });
});

describe('after every attack', () => {
  it('never requested an attacker URL and fetched the trusted JWKS exactly once', () => {
    expect(hitsTo('/attacker')).toBe(0);
    expect(hitsTo('/jwks/main.json')).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
// JWKS: caching, unknown kids, rotation, failures. Each test has its own URL and clock.
// ---------------------------------------------------------------------------------------------

describe('JWKS key source (ES256)', () => {
  let clock = FIXED_MS;
  let path = '';
  let published: Record<string, unknown>[] = [];
  const jwksLogs: LogEntry[] = [];
  let counter = 0;

  /** A fresh JWKS URL serving `published`, an app on the movable clock, and a token minter. */
  function fresh(settings: Settings = {}) {
    clock = FIXED_MS;
    path = `/jwks/case-${++counter}.json`;
    published = [trustedEc.publicJwk];
    serveJwks(path, () => published);
    jwksLogs.length = 0;
    const settingsFor = { ALGORITHM: 'ES256', JWT_JWKS_URL: `${base}${path}`, ...settings };
    const app = buildApp(countingDb, settingsFor, { now: () => new Date(clock), log: (entry) => jwksLogs.push(entry) });
    return { app, settings: settingsFor };
  }
  const tokenAt = (key: TestKeyPair = trustedEc, kid = key.kid) =>
    signJws(accessClaims(1, {}, clock), key.signer, { alg: 'ES256', typ: 'JWT', kid });
  const advance = (seconds: number) => (clock += seconds * 1000);

  it('fetches the key set once for many requests, concurrent or not, and across apps built per request', async () => {
    const { app, settings } = fresh();
    const concurrent = await Promise.all(Array.from({ length: 10 }, () => send(app, `Bearer ${tokenAt()}`)));
    for (const response of concurrent) await expectAnswered(response);
    for (let i = 0; i < 5; i++) await expectAnswered(await send(app, `Bearer ${tokenAt()}`));
    // Workers build the app for every request: the cache must outlive it.
    for (let i = 0; i < 5; i++) {
      const perRequest = buildApp(countingDb, settings, { now: () => new Date(clock) });
      await expectAnswered(await send(perRequest, `Bearer ${tokenAt()}`));
    }
    expect(hitsTo(path)).toBe(1);
  });

  it('refetches after JWT_JWKS_CACHE_SECONDS (default 300)', async () => {
    const { app } = fresh();
    await expectAnswered(await send(app, `Bearer ${tokenAt()}`));
    advance(299);
    await expectAnswered(await send(app, `Bearer ${tokenAt()}`));
    expect(hitsTo(path)).toBe(1);
    advance(1);
    await expectAnswered(await send(app, `Bearer ${tokenAt()}`));
    expect(hitsTo(path)).toBe(2);
  });

  it('honours a custom JWT_JWKS_CACHE_SECONDS', async () => {
    const { app } = fresh({ JWT_JWKS_CACHE_SECONDS: '60' });
    await expectAnswered(await send(app, `Bearer ${tokenAt()}`));
    advance(61);
    await expectAnswered(await send(app, `Bearer ${tokenAt()}`));
    expect(hitsTo(path)).toBe(2);
  });

  it('refetches once for an unknown kid, at most once per 30 s, however many unknown kids arrive', async () => {
    const { app } = fresh();
    await expectAnswered(await send(app, `Bearer ${tokenAt()}`));
    const before = counting.queries;
    // Within 30 s of the last fetch: refused without a refetch.
    await expectUnauthorized(await send(app, `Bearer ${tokenAt(attackerEc, 'unknown-1')}`));
    expect(hitsTo(path)).toBe(1);
    advance(30);
    await expectUnauthorized(await send(app, `Bearer ${tokenAt(attackerEc, 'unknown-2')}`));
    expect(hitsTo(path)).toBe(2);
    // A flood of made-up kids: no more fetches until 30 s later.
    for (let i = 0; i < 25; i++) {
      advance(1);
      await expectUnauthorized(await send(app, `Bearer ${tokenAt(attackerEc, `flood-${i}`)}`));
    }
    expect(hitsTo(path)).toBe(2);
    advance(5);
    await Promise.all(Array.from({ length: 10 }, (_, i) => send(app, `Bearer ${tokenAt(attackerEc, `burst-${i}`)}`)));
    expect(hitsTo(path)).toBe(3);
    expect(counting.queries).toBe(before);
    // The known key still works throughout.
    await expectAnswered(await send(app, `Bearer ${tokenAt()}`));
    expect(hitsTo(path)).toBe(3);
  });

  it('picks up a rotated key through the unknown-kid refetch', async () => {
    const { app } = fresh();
    await expectAnswered(await send(app, `Bearer ${tokenAt()}`));
    const next = generateKeyPair('ES256', 'rotated-es256');
    published = [trustedEc.publicJwk, next.publicJwk];
    advance(31);
    await expectAnswered(await send(app, `Bearer ${tokenAt(next)}`));
    expect(hitsTo(path)).toBe(2);
    await expectAnswered(await send(app, `Bearer ${tokenAt()}`));
  });

  it('drops a removed key once the cache expires', async () => {
    const { app } = fresh();
    await expectAnswered(await send(app, `Bearer ${tokenAt()}`));
    const next = generateKeyPair('ES256', 'next-es256');
    published = [next.publicJwk];
    advance(300);
    await expectUnauthorized(await send(app, `Bearer ${tokenAt()}`));
    await expectAnswered(await send(app, `Bearer ${tokenAt(next)}`));
    expect(hitsTo(path)).toBe(2);
  });

  it('uses only the public members of a key and only keys meant for ES256 signatures', async () => {
    const { app } = fresh();
    const wrongCurve = generateKeyPair('ES384', 'p384');
    const withPrivate = { ...trustedEc.privateKey.export({ format: 'jwk' }), kid: 'with-d', use: 'sig', alg: 'ES256' };
    const encryption = { ...attackerEc.publicJwk, kid: 'enc-key', use: 'enc' };
    const otherAlg = { ...attackerEc.publicJwk, kid: 'es384-labelled', alg: 'ES384' };
    published = [withPrivate, wrongCurve.publicJwk, trustedRsa.publicJwk, encryption, otherAlg];
    await expectAnswered(await send(app, `Bearer ${tokenAt(trustedEc, 'with-d')}`));
    for (const [key, kid] of [
      [wrongCurve, 'p384'],
      [trustedRsa, 'trusted-rs'],
      [attackerEc, 'enc-key'],
      [attackerEc, 'es384-labelled'],
    ] as const) {
      const token = signJws(accessClaims(1, {}, clock), key.signer, { alg: 'ES256', typ: 'JWT', kid });
      await expectUnauthorized(await send(app, `Bearer ${token}`));
    }
  });

  it('matches a token without kid to the key without kid, as PyJWKClient does, and to nothing else', async () => {
    const { app } = fresh();
    const kidless = generateKeyPair('ES256', 'unused');
    published = [trustedEc.publicJwk, { ...kidless.publicJwk, kid: undefined }];
    const noKid = (key: TestKeyPair) => signJws(accessClaims(1, {}, clock), key.signer, { alg: 'ES256', typ: 'JWT' });
    await expectAnswered(await send(app, `Bearer ${noKid(kidless)}`));
    await expectUnauthorized(await send(app, `Bearer ${noKid(trustedEc)}`));
    await expectAnswered(await send(app, `Bearer ${tokenAt()}`));
    expect(hitsTo(path)).toBe(1);
  });

  describe('when the key set cannot be had', () => {
    async function expectKeysUnavailable(app: ReturnType<typeof buildApp>) {
      const before = counting.queries;
      const { body: problem } = await expectUnauthorized(await send(app, `Bearer ${tokenAt()}`));
      expect(problem.detail).toBe('signing keys unavailable');
      expect(counting.queries).toBe(before);
    }

    it('answers 401 "signing keys unavailable", logs it, and retries no sooner than 5 s later (HTTP 500)', async () => {
      const { app } = fresh();
      routes.set(path, () => ({ status: 500, body: 'boom' }));
      await expectKeysUnavailable(app);
      const keyLogs = () => jwksLogs.filter((entry) => entry.msg === 'signing keys unavailable');
      expect(keyLogs()).toEqual([expect.objectContaining({ level: 'error', jwks_url: `${base}${path}`, error: 'JWKS answered HTTP 500' })]);
      for (let i = 0; i < 5; i++) await expectKeysUnavailable(app);
      expect(hitsTo(path)).toBe(1);
      expect(keyLogs(), 'one log line per failed fetch, not per request').toHaveLength(1);
      advance(5);
      serveJwks(path, () => published);
      await expectAnswered(await send(app, `Bearer ${tokenAt()}`));
      expect(hitsTo(path)).toBe(2);
    });

    it('does not keep using expired keys when the refetch fails', async () => {
      const { app } = fresh();
      await expectAnswered(await send(app, `Bearer ${tokenAt()}`));
      routes.set(path, () => ({ status: 503 }));
      advance(300);
      await expectKeysUnavailable(app);
    });

    it.each([
      ['nothing listens at the URL', 'closed'],
      ['the answer is not JSON', JSON.stringify({ body: '<html>' })],
      ['the answer has no "keys" array', JSON.stringify({ body: '{"keys":{}}' })],
      ['no key fits ES256', JSON.stringify({ body: JSON.stringify({ keys: [trustedRsa.publicJwk] }) })],
      ['every key is for encryption', JSON.stringify({ body: JSON.stringify({ keys: [{ ...trustedEc.publicJwk, use: 'enc' }] }) })],
      ['the URL redirects (even to a valid key set)', 'redirect'],
    ])('answers 401 "signing keys unavailable" when %s', async (_name, behaviour) => {
      const { app: defaultApp } = fresh();
      let app = defaultApp;
      if (behaviour === 'closed') {
        app = buildApp(countingDb, { ALGORITHM: 'ES256', JWT_JWKS_URL: await closedUrl() }, { now: () => new Date(clock), log: (e) => jwksLogs.push(e) });
      } else if (behaviour === 'redirect') {
        routes.set(path, () => ({ status: 302, headers: { Location: `${base}/jwks/main.json` } }));
      } else {
        const { body } = JSON.parse(behaviour) as { body: string };
        routes.set(path, () => ({ body, headers: { 'Content-Type': 'application/json' } }));
      }
      const mainHits = hitsTo('/jwks/main.json');
      await expectKeysUnavailable(app);
      expect(jwksLogs.some((entry) => entry.level === 'error' && entry.msg === 'signing keys unavailable')).toBe(true);
      expect(hitsTo('/jwks/main.json')).toBe(mainHits);
    });

    it('gives up on a JWKS server that never answers', async () => {
      fresh();
      routes.set(path, () => ({ hang: true }));
      const verify = createTokenVerifier(
        { algorithm: 'ES256', jwksUrl: `${base}${path}`, jwksTimeoutMs: 300, leewaySeconds: 0, userIdClaim: 'user_id' },
        () => new Date(clock),
      );
      const started = Date.now();
      await expect(verify(tokenAt())).rejects.toEqual(new TokenRejected('signing keys unavailable'));
      expect(Date.now() - started).toBeLessThan(3_000);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Start-up: the key settings must fit ALGORITHM.
// ---------------------------------------------------------------------------------------------

describe('start-up checks', () => {
  const build = (settings: Settings) => () => buildApp(countingDb, settings, { now: fixedNow });
  const expectConfigError = (settings: Settings, message: RegExp) => {
    expect(build(settings)).toThrow(ConfigError);
    expect(build(settings)).toThrow(message);
  };

  describe('HMAC secret strength', () => {
    it('refuses a 31-byte JWT_SECRET_KEY, naming the setting and the rule', () => {
      expectConfigError({ JWT_SECRET_KEY: 'x'.repeat(31) }, /JWT_SECRET_KEY: must be at least 32 bytes for HS256 \(it has 31\)/);
    });

    it('counts bytes, not characters (15 × "ñ" is 30 bytes)', () => {
      expectConfigError({ JWT_SECRET_KEY: 'ñ'.repeat(15) }, /at least 32 bytes.*it has 30/);
      expect(build({ JWT_SECRET_KEY: 'ñ'.repeat(16) })).not.toThrow();
    });

    it('accepts exactly 32 bytes, for HS384 and HS512 too', () => {
      for (const ALGORITHM of ['HS256', 'HS384', 'HS512']) expect(build({ JWT_SECRET_KEY: 'k'.repeat(32), ALGORITHM })).not.toThrow();
    });

    it('allows a short secret with APP_ENV=development, and verifies with it', async () => {
      const app = buildApp(countingDb, { JWT_SECRET_KEY: 'short', APP_ENV: 'development' }, { now: fixedNow });
      await expectAnswered(await send(app, `Bearer ${signJws(claims(), hmacSigner('short'))}`));
      expect(build({ JWT_SECRET_KEY: 'short', APP_ENV: 'Development' })).not.toThrow();
    });

    it('refuses a short secret with APP_ENV=production, and APP_ENV values other than development/production', () => {
      expectConfigError({ JWT_SECRET_KEY: 'short', APP_ENV: 'production' }, /JWT_SECRET_KEY: must be at least 32 bytes/);
      expectConfigError({ APP_ENV: 'staging' }, /APP_ENV: must be development or production/);
    });

    it('requires JWT_SECRET_KEY for HS*', () => {
      expectConfigError({ JWT_SECRET_KEY: undefined, ALGORITHM: 'HS512' }, /JWT_SECRET_KEY: is required to verify HS512 tokens/);
    });
  });

  describe('key source and algorithm family', () => {
    it('requires JWT_PUBLIC_KEY or JWT_JWKS_URL for RS*, ES* and EdDSA', () => {
      for (const ALGORITHM of ['RS256', 'ES384', 'EdDSA']) {
        expectConfigError({ ALGORITHM }, new RegExp(`JWT_PUBLIC_KEY or JWT_JWKS_URL: one is required to verify ${ALGORITHM} tokens`));
      }
    });

    it('refuses a public key or a JWKS URL with an HS* algorithm', () => {
      expectConfigError({ JWT_PUBLIC_KEY: trustedRsa.publicKeyPem }, /JWT_PUBLIC_KEY: is for RS\*, ES\* and EdDSA, but ALGORITHM is HS256/);
      expectConfigError({ JWT_JWKS_URL: 'https://auth.example/jwks.json' }, /JWT_JWKS_URL: is for RS\*, ES\* and EdDSA, but ALGORITHM is HS256/);
    });

    it('refuses both JWT_PUBLIC_KEY and JWT_JWKS_URL', () => {
      expectConfigError(
        { ALGORITHM: 'RS256', JWT_PUBLIC_KEY: trustedRsa.publicKeyPem, JWT_JWKS_URL: 'https://auth.example/jwks.json' },
        /JWT_PUBLIC_KEY, JWT_JWKS_URL: set only one of them/,
      );
    });

    it.each([
      ['a private key', () => trustedRsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), /JWT_PUBLIC_KEY: is a private key/],
      ['a PKCS#1 RSA public key', () => trustedRsa.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString(), /JWT_PUBLIC_KEY: is a PKCS#1 RSA key/],
      ['an EC key for RS256', () => trustedEc.publicKeyPem, /JWT_PUBLIC_KEY: is an EC P-256 key, but ALGORITHM RS256 needs an RSA key/],
      ['not PEM at all', () => 'ssh-rsa AAAAB3NzaC1yc2E', /JWT_PUBLIC_KEY: must hold exactly one PEM public key/],
      ['two PEM keys', () => trustedRsa.publicKeyPem + attackerRsa.publicKeyPem, /JWT_PUBLIC_KEY: must hold exactly one PEM public key/],
      ['a PEM whose body is not base64', () => '-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----', /JWT_PUBLIC_KEY: is not valid PEM/],
      ['a PEM whose body is not a key', () => `-----BEGIN PUBLIC KEY-----\n${b64url('hello').replace(/[-_]/g, 'A')}\n-----END PUBLIC KEY-----`, /JWT_PUBLIC_KEY: is not a key this service can read/],
    ])('refuses RS256 with JWT_PUBLIC_KEY being %s', (_name, pem, message) => {
      expectConfigError({ ALGORITHM: 'RS256', JWT_PUBLIC_KEY: pem() }, message);
    });

    it('refuses a P-384 key for ES256 and an RSA key for EdDSA', () => {
      expectConfigError({ ALGORITHM: 'ES256', JWT_PUBLIC_KEY: generateKeyPair('ES384').publicKeyPem }, /is an EC P-384 key, but ALGORITHM ES256 needs an EC P-256 key/);
      expectConfigError({ ALGORITHM: 'EdDSA', JWT_PUBLIC_KEY: trustedRsa.publicKeyPem }, /is an RSA key, but ALGORITHM EdDSA needs an Ed25519 key/);
    });

    it.each([
      ['plain http to another host', 'http://auth.example/jwks.json'],
      ['another scheme', 'ftp://auth.example/jwks.json'],
      ['not a URL', 'jwks.json'],
    ])('refuses JWT_JWKS_URL as %s', (_name, url) => {
      expectConfigError({ ALGORITHM: 'ES256', JWT_JWKS_URL: url }, /JWT_JWKS_URL: must be an https:\/\/ URL/);
    });

    it('accepts https:// and loopback http:// JWKS URLs', () => {
      for (const url of ['https://auth.example/.well-known/jwks.json', 'http://127.0.0.1:9/jwks', 'http://localhost:9/jwks', 'http://[::1]:9/jwks']) {
        expect(build({ ALGORITHM: 'RS256', JWT_JWKS_URL: url })).not.toThrow();
      }
    });

    it('refuses JWT_JWKS_CACHE_SECONDS below 30', () => {
      expectConfigError({ ALGORITHM: 'ES256', JWT_JWKS_URL: 'https://auth.example/jwks', JWT_JWKS_CACHE_SECONDS: '5' }, /JWT_JWKS_CACHE_SECONDS/);
    });

    it.each(['PS256', 'ES512', 'none', 'HS1'])('refuses ALGORITHM=%s', (ALGORITHM) => {
      expectConfigError({ ALGORITHM }, /ALGORITHM/);
    });
  });

  describe('every asymmetric algorithm with a PEM public key', () => {
    const pairs = Object.fromEntries(
      (['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'EdDSA'] as const).map((alg) => [alg, generateKeyPair(alg, alg, 'trusted-rsa')]),
    ) as Record<AsymmetricAlg, TestKeyPair>;

    it.each(Object.keys(pairs) as AsymmetricAlg[])('accepts %s, and refuses the same claims under another algorithm', async (alg) => {
      const pair = pairs[alg];
      const app = buildApp(countingDb, { ALGORITHM: alg === 'EdDSA' ? 'eddsa' : alg, JWT_PUBLIC_KEY: pair.publicKeyPem }, { now: fixedNow });
      await expectAnswered(await send(app, `Bearer ${signJws(claims(), pair.signer)}`));
      const other: Record<AsymmetricAlg, AsymmetricAlg> = { RS256: 'RS384', RS384: 'RS512', RS512: 'RS256', ES256: 'ES384', ES384: 'ES256', EdDSA: 'ES256' };
      await expectUnauthorized(await send(app, `Bearer ${signJws(claims(), pairs[other[alg]].signer)}`));
    });

    it('accepts JWT_PUBLIC_KEY written on one line with literal "\\n" escapes, as env files carry it', async () => {
      const oneLine = trustedRsa.publicKeyPem.trim().replaceAll('\n', '\\n');
      expect(oneLine).not.toContain('\n');
      const app = buildApp(countingDb, { ALGORITHM: 'RS256', JWT_PUBLIC_KEY: oneLine }, { now: fixedNow });
      await expectAnswered(await send(app, `Bearer ${signJws(claims(), trustedRsa.signer)}`));
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The duplicate-name scan on its own.
// ---------------------------------------------------------------------------------------------

describe('findDuplicateKey', () => {
  it.each([
    ['{"a":1,"a":2}', 'a'],
    ['{"a":1,"b":{"c":1,"c":2}}', 'c'],
    ['{"a":[{"x":1,"x":1}]}', 'x'],
    ['{"user_id":1,"user\\u005fid":2}', 'user_id'],
    ['{"a\\"b":1,"a\\u0022b":2}', 'a"b'],
    [' { "a" : 1 , "a" : 2 } ', 'a'],
  ])('finds the duplicate in %s', (json, name) => {
    expect(findDuplicateKey(json)).toBe(name);
  });

  it.each([
    '{"a":{"a":1}}',
    '[{"a":1},{"a":2}]',
    '{"a":"{\\"a\\":1,\\"a\\":2}"}',
    '{"a":"b:c","b":"a","c":["a","a"]}',
    '{"a":1,"A":2,"a ":3}',
    '{"\\\\":1,"\\"":2}',
    '{}',
    '"a"',
    '[1,2]',
  ])('finds none in %s', (json) => {
    expect(findDuplicateKey(json)).toBeUndefined();
  });

  it('finds none in anything JSON.stringify writes, and finds one it is given', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => findDuplicateKey(JSON.stringify(value)) === undefined),
      { numRuns: 2_000 },
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1 }), fc.jsonValue({ maxDepth: 1 }), (object, extra) => {
        const [name] = Object.keys(object) as [string];
        const text = `{${JSON.stringify(name)}:${JSON.stringify(extra) ?? 'null'},${JSON.stringify(object).slice(1)}`;
        return findDuplicateKey(text) === name;
      }),
      { numRuns: 2_000 },
    );
  });
});
