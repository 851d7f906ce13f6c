import { findDuplicateKey } from './json-duplicates.js';
import { TokenRejected } from './token-rejected.js';

/** The JOSE header as sent: nothing in it is trusted, only `alg` and `kid` are read. */
export type JoseHeader = { readonly [name: string]: unknown };

export type CompactToken = { header: JoseHeader; payload: Readonly<Record<string, unknown>> };

/** Non-empty base64url without padding, as PyJWT (and RFC 7515) writes every segment. */
const SEGMENT = /^[A-Za-z0-9_-]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Checks a compact JWS's shape before any key is touched: exactly three non-empty base64url
 * segments; a header and a payload that are UTF-8 JSON objects with no repeated member names.
 * Every failure is the same generic refusal.
 */
export function parseCompactToken(token: string): CompactToken {
  const segments = token.split('.');
  if (segments.length !== 3 || !segments.every((segment) => SEGMENT.test(segment))) throw invalid();
  return { header: decodeObject(segments[0]!), payload: decodeObject(segments[1]!) };
}

function decodeObject(segment: string): Record<string, unknown> {
  let text: string;
  let value: unknown;
  try {
    text = utf8.decode(base64UrlBytes(segment));
    value = JSON.parse(text);
  } catch {
    throw invalid();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid();
  if (findDuplicateKey(text) !== undefined) throw invalid();
  return value as Record<string, unknown>;
}

function base64UrlBytes(segment: string): Uint8Array {
  const binary = atob(segment.replaceAll('-', '+').replaceAll('_', '/')); // throws on a bad length
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const invalid = () => new TokenRejected('invalid token');
