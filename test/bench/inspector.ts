import { writeFileSync } from 'node:fs';
import { WebSocket } from 'ws';

/**
 * A minimal Chrome DevTools Protocol session with a process started with
 * `--inspect=127.0.0.1:<port>`, for diagnostics that must not touch the
 * server's code: a forced full GC (HeapProfiler.collectGarbage) and CPU
 * profiles of a chosen window (Profiler.start / Profiler.stop).
 */
export class Inspector {
  #ws: WebSocket;
  #next = 0;
  #pending = new Map<number, { resolve: (result: unknown) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data: Buffer) => {
      const message = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message?: string } };
      const waiting = message.id === undefined ? undefined : this.#pending.get(message.id);
      if (!waiting) return;
      this.#pending.delete(message.id!);
      clearTimeout(waiting.timer);
      if (message.error) waiting.reject(new Error(message.error.message ?? 'inspector error'));
      else waiting.resolve(message.result);
    });
    ws.on('close', () => {
      for (const [, w] of this.#pending) {
        clearTimeout(w.timer);
        w.reject(new Error('inspector closed'));
      }
      this.#pending.clear();
    });
  }

  static async connect(port: number, timeoutMs = 10_000): Promise<Inspector> {
    const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(timeoutMs) })).json()) as Array<{ webSocketDebuggerUrl?: string }>;
    const url = list[0]?.webSocketDebuggerUrl;
    if (!url) throw new Error(`no inspector target on port ${port}`);
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new Inspector(ws);
  }

  call<T = unknown>(method: string, params: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<T> {
    const id = ++this.#next;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`inspector: ${method} timed out`));
      }, timeoutMs);
      this.#pending.set(id, { resolve: resolve as (r: unknown) => void, reject, timer });
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  async collectGarbage(): Promise<boolean> {
    try {
      await this.call('HeapProfiler.collectGarbage');
      return true;
    } catch {
      return false;
    }
  }

  async startProfile(intervalUs = 500): Promise<void> {
    await this.call('Profiler.enable');
    await this.call('Profiler.setSamplingInterval', { interval: intervalUs });
    await this.call('Profiler.start');
  }

  /** Stops the profile and writes it (open it in Chrome DevTools or speedscope). */
  async stopProfile(file: string): Promise<void> {
    const { profile } = await this.call<{ profile: unknown }>('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
  }

  close(): void {
    this.#ws.terminate();
  }
}
