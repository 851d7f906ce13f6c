import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier, TokenRejected } from '../src/services/auth/simplejwt.js';

// The verified-token cache with a JWKS: a key withdrawn from the set stops verifying tokens when
// the set is refetched (JWT_JWKS_CACHE_SECONDS), cached tokens included.
describe('the verified-token cache with JWT_JWKS_URL', () => {
  let server: Server;
  let url: string;
  let published: JWK[] = [];
  let signing: CryptoKey;

  beforeAll(async () => {
    const first = await generateKeyPair('ES256');
    const second = await generateKeyPair('ES256');
    signing = first.privateKey;
    published = [{ ...(await exportJWK(first.publicKey)), kid: 'first', alg: 'ES256' }];
    const rotated = [{ ...(await exportJWK(second.publicKey)), kid: 'second', alg: 'ES256' }];
    server = createServer((req, res) => {
      if (req.url === '/rotate') published = rotated;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server?.close(resolve)));

  it('keeps a token no longer than the keys it was checked with are used without refetching', async () => {
    const start = Date.UTC(2026, 0, 15, 12, 0, 0);
    let clock = start;
    const verify = createTokenVerifier(
      { algorithm: 'ES256', jwksUrl: `${url}/jwks.json`, jwksCacheSeconds: 60, leewaySeconds: 0, userIdClaim: 'user_id' },
      () => new Date(clock),
    );
    const sign = (jti: string) =>
      new SignJWT({ token_type: 'access', jti, user_id: 1 })
        .setProtectedHeader({ alg: 'ES256', kid: 'first', typ: 'JWT' })
        .setIssuedAt(start / 1000)
        .setExpirationTime(start / 1000 + 300)
        .sign(signing);
    await verify(await sign('j0')); // the keys are fetched now…
    clock = start + 30_000;
    const token = await sign('j1');
    const user = await verify(token); // …and this token checked with them 30 s later
    await fetch(`${url}/rotate`); // the issuer withdraws the first key
    clock = start + 59_999;
    expect(await verify(token)).toBe(user); // within JWT_JWKS_CACHE_SECONDS of the fetch: the keys held are trusted
    clock = start + 60_000;
    const refused = await verify(token).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TokenRejected);
    expect((refused as TokenRejected).message).toBe('invalid token');
  });
});
