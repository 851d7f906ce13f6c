import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEntry } from '../src/app.js';
import { ask, buildApp, question, type Settings } from './support/app.js';
import { countingDatabase, createSeededDatabase, createTestDatabase, type TestDatabase } from './support/databases.js';
import { expectUnauthorized } from './support/problems.js';
import { accessClaims, signToken, TEST_SECRET, unsignedToken } from './support/tokens.js';

/**
 * Authentication of POST /api/v1/chat with access tokens as djangorestframework-simplejwt
 * issues them. Every app runs on a fixed clock, far from the real one, so time claims are
 * checked against the injected clock and boundaries (exp == now, leeway) are exact.
 */

// Half a second past a whole second: the verifier must work in whole seconds, like PyJWT.
const fixedNow = new Date('2025-03-14T15:09:26.500Z');
const NOW_MS = fixedNow.getTime();
const NOW = Math.floor(NOW_MS / 1000);

const QUESTION = '¿Cuántas órdenes pendientes hay?';
const LEEWAY = 30;
const AUDIENCE = 'chat-api';
const ISSUER = 'https://auth.miempresa.example';

type Alg = 'HS256' | 'HS384' | 'HS512';
type Claims = Record<string, unknown>;

/** SimpleJWT access-token claims on the fixed clock. */
const claims = (user: number | string = 1, overrides: Claims = {}): Claims => accessClaims(user, overrides, NOW_MS);

/** A signed access token on the fixed clock. */
const mint = (user: number | string = 1, overrides: Claims = {}, options: { secret?: string; alg?: Alg } = {}) =>
  signToken(claims(user, overrides), options);

/** A signed access token without the named claims. */
const mintWithout = (names: string[], overrides: Claims = {}, options: { alg?: Alg } = {}) => {
  const payload = claims(1, overrides);
  for (const name of names) delete payload[name];
  return signToken(payload, options);
};

/** A correctly signed token whose payload is any JSON text (an array, a string, …). */
function signRawPayload(json: string, alg: Alg = 'HS256'): string {
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg];
  const head = Buffer.from(JSON.stringify({ alg, typ: 'JWT' })).toString('base64url');
  const body = Buffer.from(json).toString('base64url');
  const signature = createHmac(hash, TEST_SECRET).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${signature}`;
}

/** Replaces the payload of a signed token, keeping its header and signature. */
function tamper(token: string, change: (payload: Claims) => Claims): string {
  const [head, body, signature] = token.split('.');
  const payload = JSON.parse(Buffer.from(body!, 'base64url').toString('utf8')) as Claims;
  return `${head}.${Buffer.from(JSON.stringify(change(payload))).toString('base64url')}.${signature}`;
}

type ChatJson = { respuesta: string; fuente: string; proyecto: string; datos?: { count?: number }; consulta?: string };

describe('access tokens on POST /api/v1/chat', () => {
  let test: TestDatabase;
  let logs: LogEntry[] = [];
  const apps = new Map<string, ReturnType<typeof buildApp>>();

  /** The seeded database, counting the statements the app runs on it. */
  const counting = countingDatabase(() => test.db);
  const countingDb = counting.db;

  beforeAll(async () => {
    test = await createSeededDatabase('embedded', fixedNow);
  });
  afterAll(async () => {
    await test?.drop();
  });

  /** One app per settings, all over the same database and fixed clock. */
  function appFor(settings: Settings = {}) {
    const key = JSON.stringify(settings);
    let app = apps.get(key);
    if (!app) {
      app = buildApp(countingDb, settings, { now: () => fixedNow, log: (entry) => logs.push(entry) });
      apps.set(key, app);
    }
    return app;
  }

  /** Sends the seed question with an exact Authorization header (null: none). */
  function send(settings: Settings, authorization: string | null, usuario_id: unknown = '1') {
    return ask(appFor(settings), question(QUESTION, 'dashboard_miempresa', usuario_id), {
      token: null,
      headers: authorization === null ? {} : { Authorization: authorization },
    });
  }

  async function expectAnswered(response: Response) {
    const text = await response.text();
    expect(response.status, text).toBe(200);
    const body = JSON.parse(text) as ChatJson;
    expect(body.fuente).toBe('database');
    expect(body.consulta).toBe('aggregate');
    expect(body.datos?.count).toBeGreaterThan(0);
  }

  describe('accepted tokens', () => {
    type Accepted = { name: string; settings?: Settings; token: () => string; scheme?: string; usuario_id?: unknown };
    const accepted: Accepted[] = [
      { name: 'HS256 with user_id as a number', token: () => mint(1) },
      { name: 'HS256 with user_id as a string', token: () => mint('1') },
      { name: 'HS384 when ALGORITHM is HS384', settings: { ALGORITHM: 'HS384' }, token: () => mint(1, {}, { alg: 'HS384' }) },
      { name: 'HS512 when ALGORITHM is HS512', settings: { ALGORITHM: 'HS512' }, token: () => mint(1, {}, { alg: 'HS512' }) },
      {
        name: 'HS512 when ALGORITHM is lowercase "hs512"',
        settings: { ALGORITHM: 'hs512' },
        token: () => mint(1, {}, { alg: 'HS512' }),
      },
      {
        name: 'a custom JWT_USER_ID_CLAIM "sub" (string), with no user_id claim',
        settings: { JWT_USER_ID_CLAIM: 'sub' },
        token: () => mintWithout(['user_id'], { sub: '1' }),
      },
      {
        name: 'a custom JWT_USER_ID_CLAIM "uid" (number), ignoring a different user_id',
        settings: { JWT_USER_ID_CLAIM: 'uid' },
        token: () => mint(2, { uid: 1 }),
      },
      {
        name: 'aud and iss matching JWT_AUDIENCE and JWT_ISSUER',
        settings: { JWT_AUDIENCE: AUDIENCE, JWT_ISSUER: ISSUER },
        token: () => mint(1, { aud: AUDIENCE, iss: ISSUER }),
      },
      {
        name: 'aud as an array containing JWT_AUDIENCE',
        settings: { JWT_AUDIENCE: AUDIENCE },
        token: () => mint(1, { aud: ['other-service', AUDIENCE] }),
      },
      {
        name: 'a token expired 29 s ago with JWT_LEEWAY=30',
        settings: { JWT_LEEWAY: String(LEEWAY) },
        token: () => mint(1, { iat: NOW - 329, exp: NOW - (LEEWAY - 1) }),
      },
      {
        name: 'nbf exactly JWT_LEEWAY in the future',
        settings: { JWT_LEEWAY: String(LEEWAY) },
        token: () => mint(1, { nbf: NOW + LEEWAY }),
      },
      {
        name: 'iat exactly JWT_LEEWAY in the future',
        settings: { JWT_LEEWAY: String(LEEWAY) },
        token: () => mint(1, { iat: NOW + LEEWAY, exp: NOW + 300 }),
      },
      { name: 'exp one second after now', token: () => mint(1, { exp: NOW + 1 }) },
      { name: 'the scheme written "bearer" in lowercase', token: () => mint(1), scheme: 'bearer' },
      { name: 'the scheme written "BEARER" in uppercase', token: () => mint(1), scheme: 'BEARER' },
      { name: 'a padded token just under 8 KiB', token: () => mint(1, { pad: 'x'.repeat(5800) }) },
    ];

    it.each(accepted.map((c) => [c.name, c] as const))('accepts %s', async (_name, { settings = {}, token, scheme = 'Bearer', usuario_id = '1' }) => {
      const value = token();
      expect(value.length).toBeLessThanOrEqual(8192);
      const before = counting.queries;
      await expectAnswered(await send(settings, `${scheme} ${value}`, usuario_id));
      expect(counting.queries, 'an accepted token reaches the database').toBeGreaterThan(before);
    });
  });

  describe('the token user is compared with usuario_id as strings', () => {
    it.each([
      ['token user_id 7 (number), usuario_id "7"', 7, '7'],
      ['token user_id 7 (number), usuario_id 7', 7, 7],
      ['token user_id "7" (string), usuario_id 7', '7', 7],
      ['token user_id "7" (string), usuario_id "7"', '7', '7'],
    ] as const)('answers %s', async (_name, user, usuario_id) => {
      await expectAnswered(await send({}, `Bearer ${mint(user)}`, usuario_id));
    });

    it('answers 403, not 401, to a valid token of another user (user_id 2, usuario_id "1")', async () => {
      const response = await send({}, `Bearer ${mint(2)}`, '1');
      expect(response.status, await response.clone().text()).toBe(403);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(((await response.json()) as { detail: string }).detail).toMatch(/usuario_id/);
    });
  });

  describe('refused with 401', () => {
    type Refused = { name: string; settings?: Settings; authorization: () => string | null; usuario_id?: unknown };
    const bearer = (token: () => string) => () => `Bearer ${token()}`;
    const valid = () => mint(1);
    const [validHead, validBody] = valid().split('.');

    const refused: Refused[] = [
      // The Authorization header itself.
      { name: 'no Authorization header', authorization: () => null },
      { name: 'the Basic scheme', authorization: () => `Basic ${Buffer.from('admin:secret').toString('base64')}` },
      { name: 'a valid token under the Basic scheme', authorization: () => `Basic ${valid()}` },
      { name: '"Bearer" with nothing after it', authorization: () => 'Bearer' },
      { name: '"Bearer a b"', authorization: () => 'Bearer a b' },
      { name: 'a valid token followed by a second word', authorization: () => `Bearer ${valid()} ${valid()}` },
      { name: 'a valid token with no scheme', authorization: () => valid() },
      // SimpleJWT's own claims.
      { name: 'a refresh token (token_type "refresh")', authorization: bearer(() => mint(1, { token_type: 'refresh' })) },
      { name: 'a sliding token (token_type "sliding")', authorization: bearer(() => mint(1, { token_type: 'sliding' })) },
      { name: 'no token_type claim', authorization: bearer(() => mintWithout(['token_type'])) },
      { name: 'an expired token', authorization: bearer(() => mint(1, { iat: NOW - 301, exp: NOW - 1 })) },
      { name: 'exp exactly equal to now', authorization: bearer(() => mint(1, { iat: NOW - 300, exp: NOW })) },
      { name: 'no exp claim', authorization: bearer(() => mintWithout(['exp'])) },
      { name: 'exp as a string', authorization: bearer(() => mint(1, { exp: String(NOW + 300) })) },
      { name: 'no jti claim', authorization: bearer(() => mintWithout(['jti'])) },
      { name: 'an empty jti', authorization: bearer(() => mint(1, { jti: '' })) },
      // Signature and algorithm.
      { name: 'a token signed with another secret', authorization: bearer(() => mint(1, {}, { secret: `${TEST_SECRET}-other` })) },
      { name: 'an HS512 token when HS256 is configured', authorization: bearer(() => mint(1, {}, { alg: 'HS512' })) },
      { name: 'an HS384 token when HS256 is configured', authorization: bearer(() => mint(1, {}, { alg: 'HS384' })) },
      { name: 'an HS256 token when HS512 is configured', settings: { ALGORITHM: 'HS512' }, authorization: bearer(() => mint(1)) },
      ...['none', 'None', 'NONE'].map((alg) => ({
        name: `an unsigned token with alg "${alg}"`,
        authorization: bearer(() => unsignedToken(claims(1), alg)),
      })),
      {
        name: 'an unsigned alg "none" token carrying a valid signature',
        authorization: bearer(() => `${unsignedToken(claims(1))}${valid().split('.')[2]}`),
      },
      { name: 'an empty signature segment', authorization: bearer(() => `${validHead}.${validBody}.`) },
      {
        name: 'a payload changed after signing (user_id 1 → 2, usuario_id "2")',
        authorization: bearer(() => tamper(mint(1), (payload) => ({ ...payload, user_id: 2 }))),
        usuario_id: '2',
      },
      {
        name: 'a payload changed after signing (exp extended)',
        authorization: bearer(() => tamper(mint(1, { iat: NOW - 400, exp: NOW - 100 }), (p) => ({ ...p, exp: NOW + 300 }))),
      },
      // Shape.
      { name: 'two segments', authorization: bearer(() => `${validHead}.${validBody}`) },
      { name: 'four segments', authorization: bearer(() => `${valid()}.${valid().split('.')[2]}`) },
      { name: 'non-base64 garbage', authorization: bearer(() => '%%%not-a-jwt!!!.@@@.***') },
      { name: 'base64 that is not JSON', authorization: bearer(() => 'bm90.anNvbg.c2ln') },
      { name: 'a payload that is a JSON array', authorization: bearer(() => signRawPayload(JSON.stringify([claims(1)]))) },
      { name: 'a payload that is a JSON string', authorization: bearer(() => signRawPayload(JSON.stringify('access'))) },
      { name: 'a payload that is JSON null', authorization: bearer(() => signRawPayload('null')) },
      // Time claims beyond the leeway.
      {
        name: 'nbf in the future beyond JWT_LEEWAY',
        settings: { JWT_LEEWAY: String(LEEWAY) },
        authorization: bearer(() => mint(1, { nbf: NOW + LEEWAY + 1 })),
      },
      { name: 'nbf one second in the future with no leeway', authorization: bearer(() => mint(1, { nbf: NOW + 1 })) },
      {
        name: 'iat in the future beyond JWT_LEEWAY',
        settings: { JWT_LEEWAY: String(LEEWAY) },
        authorization: bearer(() => mint(1, { iat: NOW + LEEWAY + 1, exp: NOW + 600 })),
      },
      { name: 'iat one second in the future with no leeway', authorization: bearer(() => mint(1, { iat: NOW + 1, exp: NOW + 300 })) },
      {
        name: 'a token expired exactly JWT_LEEWAY ago',
        settings: { JWT_LEEWAY: String(LEEWAY) },
        authorization: bearer(() => mint(1, { iat: NOW - 330, exp: NOW - LEEWAY })),
      },
      // Audience and issuer.
      {
        name: 'a wrong aud when JWT_AUDIENCE is set',
        settings: { JWT_AUDIENCE: AUDIENCE },
        authorization: bearer(() => mint(1, { aud: 'other-service' })),
      },
      {
        name: 'an aud array not containing JWT_AUDIENCE',
        settings: { JWT_AUDIENCE: AUDIENCE },
        authorization: bearer(() => mint(1, { aud: ['other-service', `${AUDIENCE}-staging`] })),
      },
      { name: 'no aud when JWT_AUDIENCE is set', settings: { JWT_AUDIENCE: AUDIENCE }, authorization: bearer(() => mint(1)) },
      {
        name: 'a wrong iss when JWT_ISSUER is set',
        settings: { JWT_ISSUER: ISSUER },
        authorization: bearer(() => mint(1, { iss: 'https://evil.example' })),
      },
      { name: 'no iss when JWT_ISSUER is set', settings: { JWT_ISSUER: ISSUER }, authorization: bearer(() => mint(1)) },
      // The user claim.
      { name: 'no user_id claim', authorization: bearer(() => mintWithout(['user_id'])) },
      {
        name: 'no claim named by JWT_USER_ID_CLAIM ("sub"), only user_id',
        settings: { JWT_USER_ID_CLAIM: 'sub' },
        authorization: bearer(() => mint(1)),
      },
      { name: 'user_id as an object', authorization: bearer(() => mint(1, { user_id: { id: 1 } })), usuario_id: '[object Object]' },
      { name: 'user_id as a boolean', authorization: bearer(() => mint(1, { user_id: true })), usuario_id: 'true' },
      { name: 'user_id as null', authorization: bearer(() => mint(1, { user_id: null })), usuario_id: 'null' },
      { name: 'user_id as an empty string', authorization: bearer(() => mint('')) },
      { name: 'user_id as a fraction', authorization: bearer(() => mint(1.5)), usuario_id: '1.5' },
      // Size.
      {
        name: 'a validly signed token longer than 8 KiB',
        authorization: bearer(() => {
          const token = mint(1, { pad: 'x'.repeat(8192) });
          expect(token.length).toBeGreaterThan(8192);
          return token;
        }),
      },
    ];

    it.each(refused.map((c) => [c.name, c] as const))('refuses %s', async (_name, { settings = {}, authorization, usuario_id = '1' }) => {
      const header = authorization();
      const before = counting.queries;
      logs = [];
      const response = await send(settings, header, usuario_id);
      const token = header?.replace(/^\S+\s+/, '');
      await expectUnauthorized(response, token && token.length >= 8 ? token : undefined);
      expect(counting.queries, 'a refused token must not reach the database').toBe(before);
      expect(logs.filter((entry) => entry.level === 'error')).toEqual([]);
    });

    it('tells a missing token apart from an invalid one in the challenge', async () => {
      const missing = await expectUnauthorized(await send({}, null));
      expect(missing.challenge).not.toMatch(/error=/);
      const invalid = await expectUnauthorized(await send({}, `Bearer ${mint(1, { token_type: 'refresh' })}`));
      expect(invalid.challenge).toMatch(/error="invalid_token"/);
    });
  });

  describe('over a closed database', () => {
    let closed: TestDatabase;
    let app: ReturnType<typeof buildApp>;

    beforeAll(async () => {
      closed = await createTestDatabase('embedded');
      await closed.db.close();
      app = buildApp(closed.db, {}, { now: () => fixedNow });
    });

    const sendClosed = (authorization: string | null) =>
      ask(app, question(QUESTION), { token: null, headers: authorization === null ? {} : { Authorization: authorization } });

    it('answers 401, not 500/503, to a request with no token', async () => {
      await expectUnauthorized(await sendClosed(null));
    });

    it('answers 401, not 500/503, to an expired token', async () => {
      const token = mint(1, { iat: NOW - 301, exp: NOW - 1 });
      await expectUnauthorized(await sendClosed(`Bearer ${token}`), token);
    });

    it('answers 401, not 500/503, to a token with a wrong signature', async () => {
      const token = mint(1, {}, { secret: 'not-the-secret' });
      await expectUnauthorized(await sendClosed(`Bearer ${token}`), token);
    });

    it('fails with a server error once a valid token reaches the closed database', async () => {
      const response = await sendClosed(`Bearer ${mint(1)}`);
      expect(response.status).toBeGreaterThanOrEqual(500);
    });
  });
});
