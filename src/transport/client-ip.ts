/**
 * The client's address. Behind `trustedProxies` reverse proxies, each proxy
 * appends the address it received from to X-Forwarded-For, so the client is
 * the entry that many places from the right (counting the socket's own peer
 * as the last proxy). Entries further left are the client's to invent and are
 * never believed; with no trusted proxy the header is ignored altogether.
 */
export function clientIp(socketAddress: string | undefined, forwardedFor: string | string[] | undefined, trustedProxies: number): string {
  const peer = normalize(socketAddress ?? 'unknown');
  if (trustedProxies === 0 || forwardedFor === undefined) return peer;
  const chain = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const hops = [...chain, peer];
  const index = Math.max(0, hops.length - 1 - trustedProxies);
  const candidate = hops[index]!;
  return /^[0-9A-Fa-f:.]{2,45}$/.test(candidate) ? normalize(candidate) : peer;
}

/** `::ffff:10.0.0.1` and `10.0.0.1` are one client. */
const normalize = (address: string) => (address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address);
