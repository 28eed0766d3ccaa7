import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/**
 * Where Herald may push (no server-side request forgery). By default only
 * loopback: a developer's CLI listening on their own machine. Other hosts only
 * when listed in PUSH_ALLOWED_HOSTS, and then over https unless PUSH_ALLOW_HTTP.
 * Link-local, private and metadata addresses are refused unless their host is
 * listed. Names are resolved and checked again while pushing (at least every
 * few seconds, and after a connection failure: see connection.ts), and the
 * request goes to the address that was checked (DNS rebinding).
 */
export type UrlPolicy = { readonly allowedHosts: readonly string[]; readonly allowHttp: boolean };

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
  const host = url.hostname.toLowerCase();
  if (LOOPBACK_NAMES.has(host)) return url;
  if (!listed(host, policy)) throw new RefusedUrl('host', `host ${host} is not in PUSH_ALLOWED_HOSTS (only loopback is allowed by default)`);
  if (url.protocol === 'http:' && !policy.allowHttp) throw new RefusedUrl('https', `pushing to ${host} needs https (or PUSH_ALLOW_HTTP=true)`);
  return url;
}

/** Resolves the URL's host and checks every address it resolves to; returns the one to connect to. */
export async function resolveTarget(url: URL, policy: UrlPolicy, resolve: Resolver = lookup as unknown as Resolver): Promise<Target> {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await resolve(host, { all: true, verbatim: true });
  if (addresses.length === 0) throw new RefusedUrl('dns', `host ${host} does not resolve`);
  const loopbackName = LOOPBACK_NAMES.has(url.hostname.toLowerCase());
  for (const { address } of addresses) {
    const kind = classify(address);
    if (kind === 'public' || listed(host, policy)) continue;
    if (kind === 'loopback' && loopbackName) continue;
    throw new RefusedUrl(kind, `host ${host} resolves to a ${kind} address (${address})`);
  }
  const first = addresses[0]!;
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}

function listed(host: string, policy: UrlPolicy): boolean {
  return policy.allowedHosts.some((allowed) => allowed.toLowerCase() === host);
}

export type AddressKind = 'public' | 'loopback' | 'private' | 'link-local' | 'metadata' | 'unspecified';

/** What kind of address this is, for the SSRF rules. */
export function classify(address: string): AddressKind {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) {
    const [a, b] = v4.split('.').map(Number) as [number, number];
    if (v4 === '169.254.169.254' || v4 === '100.100.100.200') return 'metadata';
    if (a === 127) return 'loopback';
    if (a === 0) return 'unspecified';
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) return 'private';
    if (a === 169 && b === 254) return 'link-local';
    return 'public';
  }
  const v6 = address.toLowerCase();
  if (v6 === '::1') return 'loopback';
  if (v6 === '::') return 'unspecified';
  if (v6 === 'fd00:ec2::254') return 'metadata';
  if (/^f[cd]/.test(v6)) return 'private';
  if (/^fe[89ab]/.test(v6)) return 'link-local';
  return 'public';
}
