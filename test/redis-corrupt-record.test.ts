import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { CREATE_TASK, gql } from './helpers/client.js';
import { useHerald } from './helpers/servers.js';

/**
 * A stored record that does not parse is a fault of the data, not of Redis:
 * the caller gets the masked INTERNAL_SERVER_ERROR, not a SERVICE_UNAVAILABLE
 * that tells it to retry what can never succeed.
 */
describe('a corrupt record in Redis', () => {
  const herald = useHerald({}, { redis: true });

  it('answers a masked internal error, not SERVICE_UNAVAILABLE, and the server serves the next request', async () => {
    const created = await gql(herald.url, CREATE_TASK, { input: { repository: 'corrupt', title: 'to corrupt' } });
    const id = created.body.data?.createTask.id as string;
    const redis = new Redis(herald.redis.url);
    try {
      await redis.set(`herald:{tasks}:task:${id}`, '{"title": "cut off');
    } finally {
      redis.disconnect();
    }
    const { status, headers, body } = await gql(herald.url, 'query ($id: ID!) { task(id: $id) { id title } }', { id });
    expect(body.errors).toEqual([expect.objectContaining({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } })]);
    expect(JSON.stringify(body)).not.toMatch(/SyntaxError|JSON|position/);
    expect(status).toBe(200);
    expect(headers.get('retry-after')).toBeNull();

    const next = await gql(herald.url, CREATE_TASK, { input: { repository: 'corrupt', title: 'still serving' } });
    expect(next.body.data?.createTask.id).toEqual(expect.any(String));
  });
});
