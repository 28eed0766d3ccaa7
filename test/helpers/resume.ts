import { record, sseTaskTitles, TASK_EVENTS, taskTitles, wsClient, type Recorder, type TaskEventResult } from './client.js';
import { openSse } from './sse.js';

/**
 * A client resuming `taskEvents` of the repositories from a cursor over
 * WebSocket, and another from a cursor over SSE, each on the server named:
 * `until(title)` waits until both received that title and gives the titles
 * each got, in order.
 */
export async function resumeTaskEvents(repositories: readonly string[], ws: { url: string; after: string }, sse: { url: string; after: string }) {
  const client = wsClient(ws.url.replace('http', 'ws'));
  const overWs: Recorder<TaskEventResult> = record(client, TASK_EVENTS, { repositories, after: ws.after });
  const overSse = await openSse(sse.url, TASK_EVENTS, { repositories, after: sse.after });
  return {
    overWs,
    async until(title: string): Promise<[string[], string[]]> {
      await overWs.waitFor((events) => taskTitles(events).includes(title));
      await overSse.waitFor((values) => sseTaskTitles(values).includes(title));
      return [taskTitles(overWs.values), sseTaskTitles(overSse.values)];
    },
    async close() {
      overSse.close();
      overWs.dispose();
      await client.dispose();
    },
  };
}
