import { ADMIN_TOKEN } from './herald.js';
import { arrivals } from './wait.js';

/** A GraphQL subscription over Server-Sent Events, read as it arrives. */
export type SseSubscription = {
  /** The `data` of every `next` event so far. */
  readonly values: Array<{ data?: Record<string, unknown>; errors?: unknown[] }>;
  /** Every event block so far, by event name (`next`, `complete`, ...). */
  readonly events: Array<{ event: string; data: string }>;
  readonly status: number;
  readonly headers: Headers;
  waitForCount(count: number): Promise<SseSubscription['values']>;
  /** Resolves once what arrived satisfies `ok`. */
  waitFor(ok: (arrived: Readonly<SseSubscription['values']>) => boolean, what?: string): Promise<SseSubscription['values']>;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  /** Ends the stream from the client's side. */
  close(): void;
};

export async function openSse(url: string, query: string, variables: Record<string, unknown> = {}, token: string | null = ADMIN_TOKEN): Promise<SseSubscription> {
  const abort = new AbortController();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
    signal: abort.signal,
  });
  const events: SseSubscription['events'] = [];
  const received = arrivals<SseSubscription['values'][number]>(() => `the stream ended: ${JSON.stringify(events).slice(0, 500)}`);
  const ended = (async () => {
    if (!response.body) return;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          if (!event) continue; // a keep-alive comment
          const data = /^data: (.*)$/m.exec(block)?.[1] ?? '';
          events.push({ event, data });
          if (event === 'next') received.push(JSON.parse(data) as SseSubscription['values'][number]);
          else received.notify();
        }
      }
    } catch {
      // aborted by close()
    } finally {
      received.finish();
    }
  })();
  return {
    values: received.values,
    events,
    status: response.status,
    headers: response.headers,
    ended,
    close: () => abort.abort(),
    waitForCount: received.waitForCount,
    waitFor: received.waitFor,
  };
}
