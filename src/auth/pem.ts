import type { AsymmetricAlgorithm } from './algorithms.js';
import { KEY_KINDS } from './algorithms.js';

/**
 * Reads JWT_PUBLIC_KEY: one PEM "PUBLIC KEY" (SPKI) block, literal "\n" escapes allowed, whose
 * key type fits the algorithm. Returns the DER bytes, or a message saying what is wrong, so a
 * wrong key stops start-up instead of failing every request.
 */
export function readSpkiPem(text: string, algorithm: AsymmetricAlgorithm): { der: Uint8Array<ArrayBuffer> } | { problem: string } {
  const pem = text.replace(/\\r/g, '').replace(/\\n/g, '\n');
  const blocks = [...pem.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \1-----/g)];
  const label = blocks[0]?.[1];
  if (blocks.length !== 1 || label === undefined) {
    return { problem: 'must hold exactly one PEM public key (-----BEGIN PUBLIC KEY----- … -----END PUBLIC KEY-----)' };
  }
  if (label.includes('PRIVATE')) {
    return { problem: 'is a private key: give the service only the public key (openssl pkey -in private.pem -pubout)' };
  }
  if (label === 'RSA PUBLIC KEY') {
    return { problem: 'is a PKCS#1 RSA key: convert it to "BEGIN PUBLIC KEY" (openssl rsa -RSAPublicKey_in -in key.pem -pubout)' };
  }
  if (label === 'CERTIFICATE') return { problem: 'is a certificate: extract its public key (openssl x509 -in cert.pem -pubkey -noout)' };
  if (label !== 'PUBLIC KEY') return { problem: `is a "${label}" PEM block, not "PUBLIC KEY"` };

  const body = blocks[0]![2]!.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return { problem: 'is not valid PEM: the key body is not base64' };
  let der: Uint8Array<ArrayBuffer>;
  try {
    der = Uint8Array.from(atob(body), (char) => char.charCodeAt(0));
  } catch {
    return { problem: 'is not valid PEM: the key body is not base64' };
  }
  const found = spkiKeyType(der);
  const expected = KEY_KINDS[algorithm].describe;
  if (found !== expected) {
    return { problem: `is ${found ?? 'not a key this service can read'}, but ALGORITHM ${algorithm} needs ${expected}` };
  }
  return { der };
}

/** OIDs (DER content bytes, hex) of the SPKI algorithm identifiers and EC curves we know. */
const RSA_ENCRYPTION = '2a864886f70d010101';
const EC_PUBLIC_KEY = '2a8648ce3d0201';
const ED25519 = '2b6570';
const CURVES: Record<string, string> = { '2a8648ce3d030107': 'P-256', '2b81040022': 'P-384', '2b81040023': 'P-521' };

/**
 * The key type named by an SPKI's AlgorithmIdentifier:
 * SEQUENCE { SEQUENCE { OID algorithm, [OID curve] }, BIT STRING key }.
 */
function spkiKeyType(der: Uint8Array): string | undefined {
  const outer = readDer(der, 0, 0x30);
  const algorithmId = outer && readDer(der, outer.contentStart, 0x30);
  const oid = algorithmId && readDer(der, algorithmId.contentStart, 0x06);
  if (!outer || outer.end !== der.length || !algorithmId || !oid) return undefined;
  const oidHex = hex(der.subarray(oid.contentStart, oid.end));
  if (oidHex === RSA_ENCRYPTION) return 'an RSA key';
  if (oidHex === ED25519) return 'an Ed25519 key';
  if (oidHex !== EC_PUBLIC_KEY) return undefined;
  const curve = oid.end < algorithmId.end ? readDer(der, oid.end, 0x06) : undefined;
  const name = curve && CURVES[hex(der.subarray(curve.contentStart, curve.end))];
  return name ? `an EC ${name} key` : 'an EC key on a curve this service does not support';
}

/** One DER element's header at `offset` with the expected tag (definite lengths up to 3 bytes). */
function readDer(der: Uint8Array, offset: number, tag: number): { contentStart: number; end: number } | undefined {
  if (der[offset] !== tag) return undefined;
  const first = der[offset + 1];
  if (first === undefined) return undefined;
  let length = first;
  let contentStart = offset + 2;
  if (first & 0x80) {
    const bytes = first & 0x7f;
    if (bytes < 1 || bytes > 3 || offset + 2 + bytes > der.length) return undefined;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[offset + 2 + i]!;
    contentStart += bytes;
  }
  const end = contentStart + length;
  return end <= der.length ? { contentStart, end } : undefined;
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
