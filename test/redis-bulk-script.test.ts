import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkScript } from '../src/redis/bulk-script.js';
import { startRedis, type RedisServer } from './helpers/redis.js';

/** Arguments whose lengths in bytes cross each decimal width, and text whose bytes outnumber its characters. */
const ARGS = ['', 'a', 'x'.repeat(9), 'x'.repeat(10), 'x'.repeat(99), 'x'.repeat(100), 'x'.repeat(12_345), 'grüße — 日本語 🚀', '\r\n$3\r\nnot a command', '🚀'.repeat(2_500)];

describe('a bulk script', () => {
  let redis: RedisServer;
  let client: Redis;
  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { lazyConnect: true });
    await client.connect();
  });
  afterAll(async () => {
    client.disconnect();
    await redis.stop();
  });

  it('hands Redis its keys and arguments byte for byte, whether it is sent by hash or whole', async () => {
    const echo = bulkScript(`return { KEYS, ARGV }`);
    const keys = ['k', 'ключ:{1}', 'z'.repeat(200)];
    // The first call finds the script unknown (NOSCRIPT) and sends it whole; the second is sent by hash.
    for (let call = 0; call < 2; call++) expect(await echo(client, keys, ARGS)).toEqual([keys, ARGS]);
    // A thousand arguments, as a deployment to many gateways has.
    const many = Array.from({ length: 1_000 }, (_, i) => `gateway-${i}-ü`);
    expect(await echo(client, [], many)).toEqual([[], many]);
    // The connection is still in step with Redis after them.
    expect(await client.ping()).toBe('PONG');
  });
});
