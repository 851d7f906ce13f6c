import type { Context } from 'hono';

/**
 * The client's address as the runtime saw the connection (Node's socket, Bun's requestIP, Deno's
 * remoteAddr, Cloudflare's CF-Connecting-IP): each entry passes its own reader into createApp,
 * so no runtime specifics live here. Undefined when the runtime cannot tell (app.request in tests).
 */
export type ClientAddressReader = (c: Context) => string | undefined;

/**
 * Where the client's address comes from: `header` only when the operator configured one
 * (CLIENT_IP_HEADER, set by a trusted proxy in front of the service), otherwise the connection.
 * A header is never trusted by default: any client can send X-Forwarded-For. A list-valued header
 * (X-Forwarded-For) gives its last entry, the one the nearest proxy appended.
 */
export function clientAddressOf(c: Context, header: string | undefined, fromRuntime: ClientAddressReader | undefined): string | undefined {
  if (header) {
    const value = c.req.header(header);
    const last = value?.split(',').at(-1)?.trim();
    if (last) return last;
  }
  try {
    return fromRuntime?.(c) || undefined;
  } catch {
    return undefined; // a runtime that cannot tell (e.g. no connection object) counts as unknown
  }
}

/**
 * The rate-limit key of an address: IPv4 as it is (also when written IPv4-mapped, ::ffff:a.b.c.d);
 * IPv6 by its /64 network, since one client commonly holds a whole /64 and could otherwise rotate
 * through 2^64 keys. Anything else (an unknown address, a header with junk) is kept, bounded in length.
 */
export function addressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const bare = address.replace(/^\[|\](?::\d+)?$/g, '').replace(/%.*$/, '').toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(bare);
  if (mapped) return mapped[1]!;
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(bare)) return bare;
  if (bare.includes(':') && /^[0-9a-f:.]+$/.test(bare)) {
    const groups = expandIPv6(bare);
    if (groups) return `${groups.slice(0, 4).join(':')}::/64`;
  }
  return bare.slice(0, 64).replace(/[^\w.:-]/g, '_') || 'unknown';
}

/** The eight 16-bit groups of an IPv6 address (lower-case, no leading zeros), or undefined when it is not one. */
function expandIPv6(address: string): string[] | undefined {
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): string[] | undefined => {
    const groups = part === '' ? [] : part.split(':');
    const last = groups.at(-1);
    if (last?.includes('.')) {
      // a trailing dotted IPv4 part (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) is two groups
      const bytes = last.split('.').map(Number);
      if (bytes.length !== 4 || bytes.some((b) => !Number.isInteger(b) || b < 0 || b > 255)) return undefined;
      groups.splice(-1, 1, ((bytes[0]! << 8) | bytes[1]!).toString(16), ((bytes[2]! << 8) | bytes[3]!).toString(16));
    }
    return groups;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const groups = [...head, ...Array<string>(fill).fill('0'), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => parseInt(g, 16).toString(16));
}
