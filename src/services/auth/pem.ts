import type { JwtAlgorithm } from '../../config.js';

type AsymmetricAlgorithm = Exclude<JwtAlgorithm, `HS${string}`>;

const NEEDS: Record<AsymmetricAlgorithm, string> = {
  RS256: 'an RSA key',
  RS384: 'an RSA key',
  RS512: 'an RSA key',
  ES256: 'an EC P-256 key',
  ES384: 'an EC P-384 key',
  EdDSA: 'an Ed25519 key',
};

/**
 * Reads JWT_PUBLIC_KEY: one PEM "PUBLIC KEY" (SPKI) block, literal "\n" escapes allowed, whose
 * key type fits the algorithm. Returns the block for jose's importSPKI, or a message saying what
 * is wrong. Settings are checked synchronously at start-up and importing is asynchronous, so
 * the key type is named here; jose validates the key itself when it imports it.
 */
export function readSpkiPem(text: string, algorithm: AsymmetricAlgorithm): { spki: string } | { problem: string } {
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
  const notBase64 = { problem: 'is not valid PEM: the key body is not base64' };
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return notBase64;
  let der: Uint8Array;
  try {
    der = Uint8Array.from(atob(body), (char) => char.charCodeAt(0));
  } catch {
    return notBase64; // atob also refuses a body of impossible length
  }
  const found = spkiKeyType(der);
  if (found !== NEEDS[algorithm]) {
    return { problem: `is ${found ?? 'not a key this service can read'}, but ALGORITHM ${algorithm} needs ${NEEDS[algorithm]}` };
  }
  return { spki: `-----BEGIN PUBLIC KEY-----\n${body}\n-----END PUBLIC KEY-----` };
}

/** The DER (hex) that opens an SPKI's AlgorithmIdentifier for each key type we can name: the key OID, then the curve OID for EC. */
const KEY_TYPES: [string, string][] = [
  ['06092a864886f70d010101', 'an RSA key'],
  ['06072a8648ce3d020106082a8648ce3d030107', 'an EC P-256 key'],
  ['06072a8648ce3d020106052b81040022', 'an EC P-384 key'],
  ['06072a8648ce3d020106052b81040023', 'an EC P-521 key'],
  ['06032b6570', 'an Ed25519 key'],
];

/** The key type an SPKI names: SEQUENCE { SEQUENCE { OID, [curve OID] }, BIT STRING key }. */
function spkiKeyType(der: Uint8Array): string | undefined {
  let offset = 0;
  for (let sequence = 0; sequence < 2; sequence++) {
    if (der[offset] !== 0x30) return undefined;
    const length = der[offset + 1] ?? 0;
    offset += 2 + (length & 0x80 ? length & 0x7f : 0); // tag, then a short length or a long one's byte count
  }
  const hex = Array.from(der.subarray(offset, offset + 19), (byte) => byte.toString(16).padStart(2, '0')).join('');
  return KEY_TYPES.find(([prefix]) => hex.startsWith(prefix))?.[1];
}
