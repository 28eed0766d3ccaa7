import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/**
 * Where Herald may push (no server-side request forgery). Other hosts than
 * loopback only when listed in PUSH_ALLOWED_HOSTS, and then over https unless
 * PUSH_ALLOW_HTTP. Loopback (a developer's CLI on their own machine) is
 * allowed in development; in production only when PUSH_ALLOWED_HOSTS names the
 * host. Private, loopback, unspecified and reserved addresses, in whatever
 * encoding (IPv4-mapped, NAT64, 6to4, ...), are refused unless their host is
 * listed; link-local and cloud metadata addresses are refused even then. Names
 * are resolved and checked again while pushing (at least every few seconds,
 * and after a connection failure: see connection.ts), and the request goes to
 * the address that was checked (DNS rebinding).
 */
export type UrlPolicy = {
  readonly allowedHosts: readonly string[];
  readonly allowHttp: boolean;
  /** Whether loopback URLs need no listing: true in development. */
  readonly allowLoopback: boolean;
};

export type Target = { readonly url: URL; readonly address: string; readonly family: 4 | 6 };

export class RefusedUrl extends Error {
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(message);
  }
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export type Resolver = (host: string, options: { all: true; verbatim: true }) => Promise<Array<{ address: string; family: number }>>;

export function parseCallbackUrl(raw: string, policy: UrlPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RefusedUrl('url', 'callbackUrl is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RefusedUrl('scheme', 'callbackUrl must be http or https');
  if (url.username || url.password) throw new RefusedUrl('credentials', 'callbackUrl must not carry credentials');
  // The URL parser has already turned every spelling of an address (0x7f.1, 2130706433, [::ffff:127.0.0.1]) into one form.
  const host = url.hostname.toLowerCase();
  if (LOOPBACK_NAMES.has(host)) {
    if (policy.allowLoopback || listed(host, policy)) return url;
    throw new RefusedUrl('loopback', `loopback callbacks (${host}) are refused in production unless PUSH_ALLOWED_HOSTS names the host`);
  }
  if (!listed(host, policy)) throw new RefusedUrl('host', `host ${host} is not in PUSH_ALLOWED_HOSTS`);
  if (url.protocol === 'http:' && !policy.allowHttp) throw new RefusedUrl('https', `pushing to ${host} needs https (or PUSH_ALLOW_HTTP=true)`);
  return url;
}

/** Kinds refused even for a host PUSH_ALLOWED_HOSTS names: nothing Herald pushes to lives there. */
const NEVER: ReadonlySet<AddressKind> = new Set(['metadata', 'link-local']);

/** Resolves the URL's host and checks every address it resolves to; returns the one to connect to. */
export async function resolveTarget(url: URL, policy: UrlPolicy, resolve: Resolver = lookup as unknown as Resolver): Promise<Target> {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await resolve(host, { all: true, verbatim: true });
  if (addresses.length === 0) throw new RefusedUrl('dns', `host ${host} does not resolve`);
  const isListed = listed(url.hostname, policy);
  const loopbackName = LOOPBACK_NAMES.has(url.hostname.toLowerCase());
  for (const { address } of addresses) {
    const kind = classify(address);
    if (kind === 'public') continue;
    if (!NEVER.has(kind)) {
      if (isListed) continue;
      if (kind === 'loopback' && loopbackName && policy.allowLoopback) continue;
    }
    // The address itself is not named: what an internal name resolves to is no business of the caller's.
    throw new RefusedUrl(kind, `host ${host} resolves to a ${kind} address`);
  }
  const first = addresses[0]!;
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}

/** Whether PUSH_ALLOWED_HOSTS names the host (a name, an IPv4 address or a bracketed IPv6 address, compared as the URL parser writes them). */
function listed(hostname: string, policy: UrlPolicy): boolean {
  const host = canonicalHost(hostname);
  return policy.allowedHosts.some((allowed) => canonicalHost(allowed) === host);
}

function canonicalHost(host: string): string {
  try {
    return new URL(`http://${host}/`).hostname.toLowerCase();
  } catch {
    return host.toLowerCase();
  }
}

export type AddressKind = 'public' | 'loopback' | 'private' | 'link-local' | 'metadata' | 'unspecified' | 'reserved';

/**
 * What kind of address this is, for the SSRF rules. An IPv6 address that
 * carries an IPv4 address (IPv4-mapped and -compatible, NAT64, 6to4) is what
 * the IPv4 address is; anything not an IP address counts as reserved.
 */
export function classify(address: string): AddressKind {
  if (isIP(address) === 4) return classifyV4(address.split('.').map(Number) as unknown as V4);
  const g = v6Groups(address);
  if (!g) return 'reserved';
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  const v4 = (hi: number, lo: number): V4 => [hi >> 8, hi & 255, lo >> 8, lo & 255];
  if (zero(0, 8)) return 'unspecified';
  if (zero(0, 7) && g[7] === 1) return 'loopback';
  if (zero(0, 5) && g[5] === 0xffff) return classifyV4(v4(g[6]!, g[7]!)); // ::ffff:a.b.c.d, IPv4-mapped
  if (zero(0, 6)) return classifyV4(v4(g[6]!, g[7]!)); // ::a.b.c.d, IPv4-compatible (deprecated)
  if (zero(0, 4) && g[4] === 0xffff && g[5] === 0) return classifyV4(v4(g[6]!, g[7]!)); // ::ffff:0:a.b.c.d, IPv4-translated
  if (g[0] === 0x64 && g[1] === 0xff9b && zero(2, 6)) return classifyV4(v4(g[6]!, g[7]!)); // 64:ff9b::/96, NAT64
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 1) return 'private'; // 64:ff9b:1::/48, a network's own NAT64
  if (g[0] === 0x2002) return classifyV4(v4(g[1]!, g[2]!)); // 2002::/16, 6to4
  if (g[0] === 0xfd00 && g[1] === 0x0ec2 && zero(2, 7) && g[7] === 0x254) return 'metadata'; // fd00:ec2::254, AWS
  if ((g[0]! & 0xfe00) === 0xfc00) return 'private'; // fc00::/7, unique local
  if ((g[0]! & 0xffc0) === 0xfe80) return 'link-local'; // fe80::/10
  if ((g[0]! & 0xffc0) === 0xfec0) return 'private'; // fec0::/10, site-local (deprecated)
  if ((g[0]! & 0xff00) === 0xff00) return 'reserved'; // multicast
  if (g[0] === 0x2001 && g[1] === 0) return 'reserved'; // 2001::/32, Teredo: a tunnel to an address it hides
  if (g[0] === 0x2001 && g[1] === 0x0db8) return 'reserved'; // documentation
  if (g[0] === 0x0100 && zero(1, 4)) return 'reserved'; // 100::/64, discard
  return 'public';
}

type V4 = readonly [number, number, number, number];

const METADATA_V4 = new Set(['169.254.169.254', '100.100.100.200', '192.0.0.192']);

function classifyV4([a, b, c, d]: V4): AddressKind {
  if (METADATA_V4.has(`${a}.${b}.${c}.${d}`)) return 'metadata';
  if (a === 0) return 'unspecified';
  if (a === 127) return 'loopback';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) return 'private';
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return 'reserved'; // protocol assignments, documentation
  if ((a === 198 && (b === 18 || b === 19)) || (a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113)) return 'reserved';
  if (a >= 224) return 'reserved'; // multicast, reserved, broadcast
  return 'public';
}

/** The eight 16-bit groups of an IPv6 address (a zone such as %eth0 ignored); null when it is not one. */
function v6Groups(raw: string): number[] | null {
  let address = raw.toLowerCase();
  const zone = address.indexOf('%');
  if (zone >= 0) address = address.slice(0, zone);
  if (isIP(address) !== 6) return null;
  const lastColon = address.lastIndexOf(':');
  const tail = address.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a, b, c, d] = tail.split('.').map(Number) as [number, number, number, number];
    address = `${address.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = address.split('::') as [string, string | undefined];
  const front = head ? head.split(':') : [];
  const back = rest === undefined ? [] : rest ? rest.split(':') : [];
  const groups = rest === undefined ? front : [...front, ...Array<string>(8 - front.length - back.length).fill('0'), ...back];
  return groups.length === 8 ? groups.map((x) => parseInt(x, 16)) : null;
}
