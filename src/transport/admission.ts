import { isIPv6 } from 'node:net';
import { LOCAL_ORIGINS } from '../config.js';

/**
 * Checks made on a WebSocket connection before much is spent on it: the
 * browser origin at the upgrade, and how often its address has tried to
 * connect, counted in two budgets so that strangers cannot spend the budget
 * of the clients that authenticate.
 */
export type Refusal = { readonly status: 403; readonly reason: string };

const LOCAL = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/** Requests without an Origin (CLIs, gateways, services) pass; browsers must come from a listed origin. */
export function createOriginCheck(allowed: readonly string[]): (origin: string | undefined) => boolean {
  const exact = new Set(allowed.filter((o) => o !== LOCAL_ORIGINS).map((o) => o.toLowerCase()));
  const local = allowed.includes(LOCAL_ORIGINS);
  return (origin) => origin === undefined || exact.has(origin.toLowerCase()) || (local && LOCAL.test(origin));
}

/**
 * Whether a browser's Origin is the server's own: a page Herald served
 * (the dashboard, GraphiQL) connecting back to the host it came from. A page
 * of another site sends its own origin, which never matches the Host it
 * connects to; a page whose name was rebound to this address (DNS rebinding)
 * does match, which is why development mode also checks the Host itself.
 */
export function isSameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined || host === undefined) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === new URL(`http://${host}`).host;
  } catch {
    return false;
  }
}

export function checkOrigin(origin: string | undefined, allowed: (origin: string | undefined) => boolean): Refusal | undefined {
  return allowed(origin) ? undefined : { status: 403, reason: `origin ${String(origin).slice(0, 100)} is not allowed` };
}

/**
 * What an address is counted as: an IPv4 address as it is, an IPv6 address by
 * its /64, the smallest block one subscriber is usually given (anyone holding
 * one holds 2^64 addresses).
 */
export function addressKey(ip: string): string {
  const bare = ip.split('%', 1)[0]!;
  if (!isIPv6(bare)) return ip;
  const [head = '', tail] = bare.toLowerCase().split('::', 2);
  const groups = (part: string) => part.split(':').filter((g) => g !== '').flatMap((g) => (g.includes('.') ? dotted(g) : [g]));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${all.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

/** An IPv4 address written at the end of an IPv6 one, as its two 16-bit groups. */
const dotted = (v4: string) => {
  const [a = 0, b = 0, c = 0, d = 0] = v4.split('.').map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
};

/**
 * Events per key in a sliding minute. Memory stays bounded: events are counted
 * in one-second buckets, so a key costs at most 60 buckets however high the
 * limit; keys are forgotten once their window is empty, and at most
 * `maxTracked` are kept: a new key beyond that evicts the one that was quiet
 * longest, rather than being refused (which would refuse every new address).
 */
export function createWindowCounter(perMinute: number, maxTracked = 100_000) {
  const windowSeconds = 60;
  /** Seconds (since the epoch) that saw events, oldest first, with their counts. */
  type Window = { seconds: number[]; counts: number[]; total: number };
  // Map order is the order keys were last counted in: the first key is the one quiet longest.
  const windows = new Map<string, Window>();
  const sweep = setInterval(() => {
    const cutoff = Math.floor(Date.now() / 1000) - windowSeconds;
    for (const [key, w] of windows) if (!(w.seconds[w.seconds.length - 1]! > cutoff)) windows.delete(key);
  }, windowSeconds * 1000);
  sweep.unref();

  const current = (key: string, second: number): Window | undefined => {
    const w = windows.get(key);
    if (!w) return undefined;
    while (w.seconds.length > 0 && w.seconds[0]! <= second - windowSeconds) {
      w.seconds.shift();
      w.total -= w.counts.shift()!;
    }
    return w;
  };

  return {
    /** Counts an event unless the key is at its limit; returns the seconds to wait when it is. */
    take(key: string, now = Date.now()): number | undefined {
      const second = Math.floor(now / 1000);
      let w = current(key, second);
      // A refused event is activity too: a key kept at its limit is never the one evicted (which would reset it).
      if (w) windows.delete(key);
      else {
        if (windows.size >= maxTracked) windows.delete(windows.keys().next().value!);
        w = { seconds: [], counts: [], total: 0 };
      }
      windows.set(key, w);
      if (w.total >= perMinute) return Math.max(1, Math.ceil(((w.seconds[0]! + windowSeconds) * 1000 - now) / 1000));
      if (w.seconds[w.seconds.length - 1] === second) w.counts[w.counts.length - 1]!++;
      else {
        w.seconds.push(second);
        w.counts.push(1);
      }
      w.total++;
      return undefined;
    },
    /** Takes back one event counted at `at` (epoch ms), if it is still in the window. */
    refund(key: string, at: number) {
      const second = Math.floor(at / 1000);
      const w = current(key, Math.floor(Date.now() / 1000));
      const i = w ? w.seconds.indexOf(second) : -1;
      if (!w || i < 0) return;
      w.total--;
      if (--w.counts[i]! === 0) {
        w.seconds.splice(i, 1);
        w.counts.splice(i, 1);
      }
      if (w.total === 0) windows.delete(key);
    },
    /** Keys tracked now. */
    size: () => windows.size,
    stop: () => clearInterval(sweep),
  };
}

/** How many connections of one address may wait, over its budget, to show credentials. */
export const MAX_WAITING_PER_ADDRESS = 20;

/**
 * One connection attempt as admission tracks it, from the upgrade to
 * `connection_init` (or the close).
 */
export type Ticket = {
  readonly key: string;
  /** When the attempt was charged to the anonymous budget; null when it came over budget. */
  readonly chargedAt: number | null;
  /** Closes the connection (too many waiting), once it exists; set by the transport. */
  close?: () => void;
  /** Set when the address had too many waiting: the connection is closed as soon as it exists. */
  evicted?: boolean;
};

export type AttemptRefusal = { readonly reason: string; readonly retryAfterSeconds: number };

/**
 * Connection attempts per address, in two budgets. Every upgrade is charged to
 * the anonymous budget (`anonymousPerMinute`), since most clients show their
 * credentials only in `connection_init`, after the upgrade; one that then
 * authenticates (any principal but anonymous) gets its charge back and is
 * counted in the authenticated budget (`authenticatedPerMinute`) instead. So
 * attempts that never authenticate, and only those, spend the anonymous budget.
 *
 * An address over its anonymous budget is not refused at the upgrade (that
 * would lock out the authenticated clients behind the same proxy, which
 * cannot be told apart there): its upgrades are let in to wait for
 * credentials, at most MAX_WAITING_PER_ADDRESS at a time (another one closes
 * the oldest), and a connection among them that does not authenticate is
 * closed with a retry time.
 */
export function createAdmission(options: { anonymousPerMinute: number; authenticatedPerMinute: number; maxTracked?: number }) {
  const anonymous = createWindowCounter(options.anonymousPerMinute, options.maxTracked);
  const authenticated = createWindowCounter(options.authenticatedPerMinute, options.maxTracked);
  /** Connections over budget waiting for credentials, per address, oldest first. */
  const waiting = new Map<string, Set<Ticket>>();

  const release = (ticket: Ticket) => {
    const set = waiting.get(ticket.key);
    if (set?.delete(ticket) && set.size === 0) waiting.delete(ticket.key);
  };
  const tooMany = (retryAfterSeconds: number): AttemptRefusal => ({ reason: `Too many connection attempts from this address; retry in ${retryAfterSeconds} s`, retryAfterSeconds });

  return {
    /** An upgrade from `ip`: charged to the anonymous budget, or waiting for credentials. */
    upgrade(ip: string, now = Date.now()): Ticket {
      const key = addressKey(ip);
      if (anonymous.take(key, now) === undefined) return { key, chargedAt: now };
      const ticket: Ticket = { key, chargedAt: null };
      let set = waiting.get(key);
      if (!set) waiting.set(key, (set = new Set()));
      if (set.size >= MAX_WAITING_PER_ADDRESS) {
        const oldest: Ticket = set.values().next().value!;
        set.delete(oldest);
        oldest.evicted = true;
        oldest.close?.();
      }
      set.add(ticket);
      return ticket;
    },

    /** The connection authenticated; a refusal when its address is over the budget that applies. */
    authenticated(ticket: Ticket, anonymousPrincipal: boolean, now = Date.now()): AttemptRefusal | undefined {
      release(ticket);
      if (anonymousPrincipal) {
        if (ticket.chargedAt !== null) return undefined;
        const wait = anonymous.take(ticket.key, now);
        return wait === undefined ? undefined : tooMany(wait);
      }
      if (ticket.chargedAt !== null) anonymous.refund(ticket.key, ticket.chargedAt);
      const wait = authenticated.take(ticket.key, now);
      return wait === undefined ? undefined : tooMany(wait);
    },

    /** The connection closed. */
    closed: release,

    stop() {
      anonymous.stop();
      authenticated.stop();
    },
  };
}

export type Admission = ReturnType<typeof createAdmission>;
