import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { configSchema, misspelledSettings, parseConfig } from '../../src/config.js';
import { KNOWN_SETTINGS } from '../../src/entry/standalone.js';
import { addressKey, clientAddressOf } from '../../src/middleware/client-address.js';
import { databaseSetupProblem } from '../../src/adapters/db/setup-errors.js';
import { createTokenVerifier, TokenRejected } from '../../src/services/auth/simplejwt.js';
import { accessClaims, accessToken, signToken, TEST_SECRET } from '../support/tokens.js';

describe('client addresses', () => {
  it('keys IPv4 as it is, IPv4-mapped IPv6 as IPv4, IPv6 by its /64', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:0:1:aaaa::1')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:0DB8:0000:0001:ffff:ffff:ffff:ffff')).toBe('2001:db8:0:1::/64');
    expect(addressKey('[2001:db8::1]:443')).toBe('2001:db8:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey(undefined)).toBe('unknown');
    expect(addressKey('<script>')).toBe('_script_');
    expect(addressKey('x'.repeat(500))).toHaveLength(64);
  });

  async function addressWith(header: string | undefined, requestHeaders: Record<string, string>, runtime?: string) {
    const app = new Hono();
    app.get('/', (c) => c.text(clientAddressOf(c, header, runtime === undefined ? undefined : () => runtime) ?? 'none'));
    return (await app.request('/', { headers: requestHeaders })).text();
  }

  it('trusts a header only when CLIENT_IP_HEADER names it, and takes the last entry of a list', async () => {
    expect(await addressWith(undefined, { 'X-Forwarded-For': '1.1.1.1', 'CF-Connecting-IP': '2.2.2.2' }, '127.0.0.1')).toBe('127.0.0.1');
    expect(await addressWith(undefined, { 'X-Forwarded-For': '1.1.1.1' })).toBe('none');
    expect(await addressWith('X-Forwarded-For', { 'X-Forwarded-For': '9.9.9.9, 1.1.1.1' }, '127.0.0.1')).toBe('1.1.1.1');
    expect(await addressWith('CF-Connecting-IP', { 'CF-Connecting-IP': '2.2.2.2' }, '127.0.0.1')).toBe('2.2.2.2');
    // the header missing: the connection's address
    expect(await addressWith('X-Real-IP', {}, '127.0.0.1')).toBe('127.0.0.1');
  });

  it('CLIENT_IP_HEADER must be a header name', () => {
    expect(parseConfig({ CLIENT_IP_HEADER: 'X-Forwarded-For' }).CLIENT_IP_HEADER).toBe('X-Forwarded-For');
    expect(() => parseConfig({ CLIENT_IP_HEADER: 'X Forwarded: For' })).toThrow(/CLIENT_IP_HEADER: must be an HTTP header name/);
  });
});

describe('settings', () => {
  it('new limits have safe defaults and 0 turns them off', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({ RATE_LIMIT_USER_READ_PER_MINUTE: 300, RATE_LIMIT_ADDRESS_PER_MINUTE: 120, REQUEST_BODY_TIMEOUT_MS: 10_000 });
    expect(config.CLIENT_IP_HEADER).toBeUndefined();
    expect(parseConfig({ RATE_LIMIT_ADDRESS_PER_MINUTE: '0' }).RATE_LIMIT_ADDRESS_PER_MINUTE).toBe(0);
    // numbers are refused in words, not zod's "expected number, received NaN"
    expect(() => parseConfig({ RATE_LIMIT_ADDRESS_PER_MINUTE: 'lots', REQUEST_BODY_TIMEOUT_MS: '5' })).toThrow(
      'Invalid settings:\n  RATE_LIMIT_ADDRESS_PER_MINUTE: must be a whole number from 0 to 1000000000\n  REQUEST_BODY_TIMEOUT_MS: must be a whole number from 100 to 120000',
    );
  });

  it('DATABASE_URL must be a postgres URL; the message never repeats it', () => {
    expect(parseConfig({ DATABASE_URL: 'postgresql://u@h:5432/db' }).DATABASE_URL).toBe('postgresql://u@h:5432/db');
    expect(parseConfig({ DATABASE_URL: 'postgres:///db?host=/var/run/postgresql' }).DATABASE_URL).toBeDefined();
    expect(() => parseConfig({ DATABASE_URL: 'localhost/db' })).toThrow('DATABASE_URL: is not a URL; write it as postgres://user:password@host:5432/database');
    expect(() => parseConfig({ DATABASE_URL: 'mysql://u:hunter2@h/db' })).toThrow(/^(?!.*hunter2)[\s\S]*must start with postgres:\/\/ or postgresql:\/\/, not mysql:\/\//);
  });

  it('"did you mean" for names close to an unset setting; other variables are left alone', () => {
    expect(misspelledSettings({ JWT_SECRET: 'x' }, KNOWN_SETTINGS)).toEqual(['JWT_SECRET: is not a setting; did you mean JWT_SECRET_KEY?']);
    expect(misspelledSettings({ DATABSE_URL: 'x' }, KNOWN_SETTINGS)).toEqual(['DATABSE_URL: is not a setting; did you mean DATABASE_URL?']);
    expect(misspelledSettings({ jwt_secret_key: 'x' }, KNOWN_SETTINGS)).toEqual(['jwt_secret_key: is not a setting; did you mean JWT_SECRET_KEY?']);
    expect(misspelledSettings({ REQUEST_TIMEOUT: '1' }, KNOWN_SETTINGS)).toEqual(['REQUEST_TIMEOUT: is not a setting; did you mean REQUEST_TIMEOUT_MS?']);
    // close to a setting that is set: someone else's variable (Neon/Vercel set both)
    expect(misspelledSettings({ DATABASE_URL: 'a', DATABASE_URL_UNPOOLED: 'b' }, KNOWN_SETTINGS)).toEqual([]);
    // a typical environment
    const env = { HOME: '/root', PWD: '/', HOSTNAME: 'box', NODE_ENV: 'production', PATH: '/bin', SHELL: '/bin/sh', TERM: 'xterm', USER: 'app', LANG: 'C', TZ: 'UTC', CI: 'true', PGPORT: '5432', REDIS_URL: 'redis://x' };
    expect(misspelledSettings(env, KNOWN_SETTINGS)).toEqual([]);
    // every name of the schema is known
    for (const name of Object.keys(configSchema.shape)) expect(KNOWN_SETTINGS).toContain(name);
  });

  it('database set-up errors say what to do', () => {
    const error = (code: string, message: string) => Object.assign(new Error(message), { code });
    expect(databaseSetupProblem(error('3D000', 'database "x" does not exist'), 'postgres://me:pw@db.example:6543/x')?.message).toBe(
      'DATABASE_URL: database "x" does not exist on db.example:6543: create it (createdb -h db.example -p 6543 -U me x) and run "npm run db:migrate", or fix the database name in DATABASE_URL',
    );
    expect(databaseSetupProblem(error('28P01', 'password authentication failed for user "me"'), 'postgres://me:pw@h/x')?.message).toMatch(/fix the user or password in DATABASE_URL$/);
    expect(databaseSetupProblem(error('28P01', 'password authentication failed for user "me"'), 'postgres://me:pw@h/x')?.message).not.toContain(':pw');
    expect(databaseSetupProblem(error('ECONNREFUSED', 'connect ECONNREFUSED'), 'postgres://h/x')).toBeUndefined();
    expect(databaseSetupProblem(new Error('other'), undefined)).toBeUndefined();
  });
});

describe('why a token was refused (for the log only)', () => {
  const verify = createTokenVerifier({ algorithm: 'HS256', secret: TEST_SECRET, leewaySeconds: 0, userIdClaim: 'user_id' });
  const why = async (token: string) => {
    const error = await verify(token).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(TokenRejected);
    return { message: (error as TokenRejected).message, why: (error as TokenRejected).why };
  };

  it.each([
    ['expired', () => signToken(accessClaims(1, { exp: Math.floor(Date.now() / 1000) - 5 })), 'token expired', 'expired'],
    ['bad signature', () => accessToken(1, {}, { secret: `${TEST_SECRET}-other` }), 'invalid token', 'bad signature'],
    ['wrong type', () => accessToken(1, { token_type: 'refresh' }), 'not an access token', 'wrong token type (token_type is not "access")'],
    ['malformed', () => 'not-a-jwt', 'invalid token', 'malformed: not three base64url segments'],
    ['malformed header', () => 'eyJub3QganNvbg.eyJ9.c2ln', 'invalid token', 'malformed header or signature'],
    ['another algorithm', () => accessToken(1, {}, { alg: 'HS512' }), 'invalid token', 'algorithm not allowed (alg differs from ALGORITHM)'],
    ['no jti', () => accessToken(1, { jti: undefined }), 'token has no jti claim', 'token has no jti claim'],
  ])('%s', async (_, token, message, reason) => {
    expect(await why(token())).toEqual({ message, why: reason });
  });
});
