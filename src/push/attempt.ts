import { request as httpRequest, type Agent, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { outcomeOfStatus, type AttemptOutcome } from './policy.js';
import type { Target } from './url-policy.js';

export type PushRequest = {
  readonly target: Target;
  readonly body: string;
  readonly headers: Record<string, string>;
  readonly timeoutMs: number;
  readonly method?: 'POST' | 'GET';
  /** Keep-alive sockets to `target.address` (see connection.ts); none means the global agent. */
  readonly agent?: Agent;
};

/**
 * One HTTP request to a checked target. The connection goes to the address
 * that was checked, never to a fresh DNS answer; the response body is drained
 * and ignored. Never throws: every failure is an outcome.
 */
export function attempt(push: PushRequest): Promise<AttemptOutcome> {
  const { target } = push;
  const pinned: LookupFunction = (_host, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const send = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers = push.method === 'GET' ? push.headers : { ...push.headers, 'content-length': String(Buffer.byteLength(push.body)) };
  return new Promise((resolve) => {
    let req: ClientRequest;
    let settled = false;
    const settle = (outcome: AttemptOutcome) => {
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    // The whole exchange, not just idle time, must fit in the timeout.
    const timer = setTimeout(() => req.destroy(new Error(`timed out after ${push.timeoutMs} ms`)), push.timeoutMs);
    const start = (mayResend: boolean) => {
      req = send(target.url, { method: push.method ?? 'POST', lookup: pinned, headers, ...(push.agent ? { agent: push.agent } : {}) });
      req.on('response', (res) => {
        res.resume();
        settle(outcomeOfStatus(res.statusCode ?? 0, (res.headers['retry-after'] as string | undefined) ?? null));
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (settled) return;
        // A kept-alive socket the endpoint closed while it was idle: the
        // request almost surely never arrived, so it goes once more on a new
        // connection instead of counting as a failed attempt.
        if (mayResend && req.reusedSocket && err.code === 'ECONNRESET') return start(false);
        settle({ kind: 'failed', error: err.message, retryable: true });
      });
      req.end(push.method === 'GET' ? undefined : push.body);
    };
    start(true);
  });
}
