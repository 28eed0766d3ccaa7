import type { LookupFunction } from 'node:net';
import { Client, type Dispatcher } from 'undici';
import { outcomeOfStatus, type AttemptOutcome } from './policy.js';
import type { Target } from './url-policy.js';

export type PushRequest = {
  readonly target: Target;
  readonly body: string;
  readonly headers: Record<string, string>;
  readonly timeoutMs: number;
  readonly method?: 'POST' | 'GET';
};

/** Connections made through this go to the checked address, never to a fresh DNS answer. */
function pinnedLookup(target: Target): LookupFunction {
  return (_host, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
}

/** A client whose sockets go only to the target's checked address (see connection.ts). */
export function pinnedClient(target: Target, options: { timeoutMs: number; keepAliveMs: number }): Client {
  return new Client(target.url.origin, {
    connect: { lookup: pinnedLookup(target), timeout: options.timeoutMs },
    keepAliveTimeout: options.keepAliveMs,
    // The answer's body is not used; a huge one must not keep the connection busy.
    maxResponseSize: 64 * 1024,
  });
}

/**
 * One HTTP request to a checked target, over `client` when given (kept-alive,
 * pinned: see connection.ts) or else over a connection of its own. The
 * outcome is decided by the status line; the body is discarded. Never
 * throws: every failure is an outcome.
 *
 * `wasOpen` says the request goes out on a socket that served an earlier one:
 * if the endpoint closed that socket while it was idle, the request almost
 * surely never arrived, so it goes once more on a new connection instead of
 * counting as a failed attempt.
 */
export async function attempt(push: PushRequest, connection?: { client: Dispatcher; wasOpen: boolean }): Promise<AttemptOutcome> {
  if (connection) {
    const outcome = await once(push, connection.client);
    return outcome.resend && connection.wasOpen ? (await once(push, connection.client)).outcome : outcome.outcome;
  }
  const client = pinnedClient(push.target, { timeoutMs: push.timeoutMs, keepAliveMs: 1 });
  try {
    return (await once(push, client)).outcome;
  } finally {
    void client.destroy().catch(() => {});
  }
}

const RESENDABLE = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

function once(push: PushRequest, client: Dispatcher): Promise<{ outcome: AttemptOutcome; resend: boolean }> {
  const { target } = push;
  return new Promise((resolve) => {
    let settled = false;
    let answered = false;
    let controller: { abort(reason: Error): void } | undefined;
    let timedOut: Error | undefined;
    const settle = (outcome: AttemptOutcome, resend = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ outcome, resend });
    };
    // The whole exchange, connecting included, must fit in the timeout.
    const timer = setTimeout(() => {
      timedOut = new Error(`timed out after ${push.timeoutMs} ms`);
      controller?.abort(timedOut);
      settle({ kind: 'failed', error: timedOut.message, retryable: true });
    }, push.timeoutMs);
    client.dispatch(
      {
        origin: target.url.origin,
        path: `${target.url.pathname}${target.url.search}`,
        method: push.method ?? 'POST',
        headers: push.headers,
        body: push.method === 'GET' ? null : push.body,
        headersTimeout: push.timeoutMs,
        bodyTimeout: push.timeoutMs,
      },
      {
        onRequestStart(c) {
          controller = c;
          if (timedOut) c.abort(timedOut);
        },
        onResponseStart(_c, status, headers) {
          if (status < 200) return; // 1xx: the answer is still to come
          answered = true;
          const retryAfter = headers['retry-after'];
          settle(outcomeOfStatus(status, (Array.isArray(retryAfter) ? retryAfter[0] : retryAfter) ?? null));
        },
        onResponseData() {},
        onResponseEnd() {},
        onResponseError(_c, err: Error & { code?: string }) {
          settle({ kind: 'failed', error: err.message, retryable: true }, !answered && RESENDABLE.has(err.code ?? ''));
        },
      },
    );
  });
}
