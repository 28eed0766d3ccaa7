import type { LookupFunction } from 'node:net';
import { Client, type Dispatcher } from 'undici';
import { outcomeOfStatus, type AttemptOutcome } from './policy.js';
import { RefusedUrl, type Target } from './url-policy.js';

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
      // Settled first: aborting reports the abort as a response error at once.
      settle({ kind: 'failed', error: 'timeout', detail: timedOut.message, retryable: true });
      controller?.abort(timedOut);
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
          settle({ kind: 'failed', error: failureReason(err), detail: err.message, retryable: true }, !answered && RESENDABLE.has(err.code ?? ''));
        },
      },
    );
  });
}

/** The outcome of a delivery whose target could not be checked: refused by the URL policy, or its name did not resolve. */
export function targetFailure(err: unknown): AttemptOutcome & { kind: 'failed' } {
  const refused = err instanceof RefusedUrl;
  return { kind: 'failed', error: refused ? 'refused by policy' : 'dns failure', detail: (err as Error).message, retryable: !refused };
}

/**
 * What a request that got no answer is called where users see it
 * (`deliveries.lastError`, `cliEndpoints.lastHealthError`, the fallback's
 * reason): a few fixed words, never the error's own text, which names
 * addresses and library internals (that goes to debug logs).
 */
export function failureReason(err: { code?: string | undefined }): string {
  const code = err.code ?? '';
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return 'connection reset';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return 'timeout';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return 'dns failure';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
      return 'host unreachable';
    case 'UND_ERR_RES_EXCEEDED_MAX_SIZE':
      return 'response too large';
  }
  if (/^(ERR_TLS|ERR_SSL)|CERT|^DEPTH_ZERO|^UNABLE_TO_|SELF_SIGNED/.test(code)) return 'tls failure';
  return 'connection failed';
}
