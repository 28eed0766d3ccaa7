import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `X-Herald-Signature: sha256=<hex>`, the HMAC-SHA256 with the registration's
 * secret over `<timestamp>.<raw body>`; the timestamp is `X-Herald-Timestamp`
 * (unix seconds), so a receiver can refuse old replays.
 */
export function sign(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver does: the reference implementation the README's example follows. */
export function verify(secret: string, timestamp: string, body: string, signature: string): boolean {
  const expected = Buffer.from(sign(secret, Number(timestamp), body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
