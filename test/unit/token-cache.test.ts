import { describe, expect, it } from 'vitest';
import { createTokenVerifier, DEFAULT_TOKEN_CACHE_MAX, TokenRejected, type TokenSettings } from '../../src/services/auth/simplejwt.js';
import { tokenSettingsFrom } from '../../src/services/auth/settings.js';
import { parseConfig } from '../../src/config.js';
import { accessClaims, signToken, TEST_SECRET } from '../support/tokens.js';

const START = Date.UTC(2026, 0, 15, 12, 0, 0);
const settings = (more: Partial<TokenSettings> = {}): TokenSettings => ({ algorithm: 'HS256', secret: TEST_SECRET, leewaySeconds: 0, userIdClaim: 'user_id', ...more });
/** A verifier on a clock the test moves. */
const onClock = (more: Partial<TokenSettings> = {}) => {
  const clock = { ms: START };
  return { clock, verify: createTokenVerifier(settings(more), () => new Date(clock.ms)) };
};
const tokenAt = (ms: number, userId: number | string = 1, overrides: Record<string, unknown> = {}, secret = TEST_SECRET) =>
  signToken(accessClaims(userId, overrides, ms), { secret });
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error: unknown) => (error instanceof TokenRejected ? error.message : `unexpected: ${String(error)}`),
  );

describe('the verified-token cache', () => {
  it('verifies a token once and serves the same user until it expires', async () => {
    const { verify } = onClock();
    const token = tokenAt(START);
    const first = await verify(token);
    expect(await verify(token)).toBe(first); // the very object kept, not a second verification
    expect(verify.cache?.size).toBe(1);
    expect(verify.cache?.max).toBe(DEFAULT_TOKEN_CACHE_MAX);
    expect(Object.isFrozen(first) && Object.isFrozen(first.claims)).toBe(true);
  });

  it('refuses a cached token once exp passes, exactly as an uncached one', async () => {
    const { clock, verify } = onClock();
    const token = tokenAt(START); // exp = START + 300 s
    await verify(token);
    clock.ms = START + 299_999;
    expect(await refusal(verify(token))).toBe('accepted');
    clock.ms = START + 300_000;
    expect(await refusal(verify(token))).toBe('token expired');
    expect(verify.cache?.size).toBe(0);
  });

  it('keeps JWT_LEEWAY on both sides of the window', async () => {
    const { clock, verify } = onClock({ leewaySeconds: 10 });
    const token = tokenAt(START, 1, { nbf: START / 1000 + 5 });
    expect(await refusal(verify(token))).toBe('accepted'); // nbf 5 s ahead, within the leeway
    clock.ms = START + 309_999;
    expect(await refusal(verify(token))).toBe('accepted');
    clock.ms = START + 310_000;
    expect(await refusal(verify(token))).toBe('token expired');
    // A clock set back before nbf - leeway: refused even though it was accepted before.
    const early = onClock({ leewaySeconds: 10 });
    const later = tokenAt(START, 3, { nbf: START / 1000 + 5 });
    await early.verify(later);
    early.clock.ms = START - 5_001;
    expect(await refusal(early.verify(later))).toBe('token not yet valid');
  });

  it('is bounded by JWT_CACHE_MAX entries and by size', async () => {
    const byCount = onClock({ cacheMax: 3 });
    for (let user = 1; user <= 5; user++) await byCount.verify(tokenAt(START, user));
    expect(byCount.verify.cache?.size).toBe(3);

    const long = 'x'.repeat(2_000); // a claim that makes each token about 2.9 KB
    const bySize = onClock({ cacheMaxBytes: 20_000 });
    for (let user = 1; user <= 10; user++) await bySize.verify(tokenAt(START, user, { padding: long }));
    expect(bySize.verify.cache!.calculatedSize).toBeLessThanOrEqual(20_000);
    expect(bySize.verify.cache!.size).toBeLessThan(10);
    expect(bySize.verify.cache!.size).toBeGreaterThan(0);

    const { verify } = onClock({ cacheMax: 0 });
    const token = tokenAt(START);
    expect(await verify(token)).not.toBe(await verify(token));
    expect(verify.cache).toBeNull();
  });

  it('keeps no refusals: a flood of bad tokens costs a verification each and evicts nobody', async () => {
    const { verify } = onClock({ cacheMax: 2 });
    const good = tokenAt(START);
    const user = await verify(good);
    for (let i = 0; i < 20; i++) {
      expect(await refusal(verify(tokenAt(START, 1, { jti: `j${i}` }, 'another-secret-that-is-long-enough-0123456789')))).toBe('invalid token');
    }
    expect(verify.cache?.size).toBe(1);
    expect(await verify(good)).toBe(user);
  });

  it('does not mix tokens up: each is its own entry, and a changed byte is verified (and refused)', async () => {
    const { verify } = onClock();
    const one = tokenAt(START, 1);
    const two = tokenAt(START, 2);
    expect((await verify(one)).id).toBe('1');
    expect((await verify(two)).id).toBe('2');
    expect((await verify(one)).id).toBe('1');
    // A character inside the signature: the last one of a base64url HMAC carries padding bits, which decoders ignore.
    const changed = one.at(-10) === 'A' ? 'B' : 'A';
    expect(await refusal(verify(one.slice(0, -10) + changed + one.slice(-9)))).toBe('invalid token');
  });

  it('lives with its settings: after a secret change the old token is refused', async () => {
    const token = tokenAt(Date.now());
    const before = createTokenVerifier(tokenSettingsFrom(parseConfig({ JWT_SECRET_KEY: TEST_SECRET })));
    await before(token);
    expect(before.cache?.size).toBe(1);
    // The app (and its verifier) is built from the new configuration: an empty cache, the new key.
    const after = createTokenVerifier(tokenSettingsFrom(parseConfig({ JWT_SECRET_KEY: 'the-new-secret-that-is-long-enough-0123456789' })));
    expect(await refusal(after(token))).toBe('invalid token');
    expect(after.cache?.size).toBe(0);
    expect(createTokenVerifier(tokenSettingsFrom(parseConfig({ JWT_SECRET_KEY: TEST_SECRET, JWT_CACHE_MAX: '7' }))).cache?.max).toBe(7);
  });
});
