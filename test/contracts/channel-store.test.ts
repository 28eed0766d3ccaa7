import { expect, it } from 'vitest';
import type { ChannelDefinition } from '../../src/channels/model.js';
import { createMemoryChannelStore } from '../../src/channels/store.memory.js';
import { createRedisChannelStore } from '../../src/channels/store.redis.js';
import { contract, redisOnly } from './backends.js';

const channel = (name: string, extra: Partial<ChannelDefinition> = {}): ChannelDefinition => ({
  name,
  description: null,
  retentionCount: null,
  retentionSeconds: null,
  defaultPriority: 'NORMAL',
  maxPayloadBytes: 65_536,
  batchWindowMs: null,
  types: [],
  ...extra,
});

const typed = channel('audit', {
  description: 'who logged in',
  retentionCount: 500,
  retentionSeconds: 3600,
  defaultPriority: 'HIGH',
  maxPayloadBytes: 1024,
  batchWindowMs: 20,
  types: [{ name: 'login', schema: { type: 'object', required: ['user'] }, schemaVersion: 2 }, { name: 'logout', schema: null, schemaVersion: null }],
});

contract('ChannelStore', { memory: createMemoryChannelStore, redis: createRedisChannelStore }, (make) => {
  it('holds no live channel at first', async () => {
    expect(await (await make()).all()).toEqual([]);
  });

  it('keeps every field of a definition, and lists them by name', async () => {
    const store = await make();
    await store.put(channel('zeta'));
    await store.put(typed);
    expect(await store.all()).toEqual([typed, channel('zeta')]);
  });

  it('replaces a definition of the same name', async () => {
    const store = await make();
    await store.put(typed);
    await store.put(channel('audit', { defaultPriority: 'LOW' }));
    expect(await store.all()).toEqual([channel('audit', { defaultPriority: 'LOW' })]);
  });

  it('removes a definition, and says whether there was one', async () => {
    const store = await make();
    await store.put(typed);
    expect(await store.remove('audit')).toBe(true);
    expect(await store.remove('audit')).toBe(false);
    expect(await store.all()).toEqual([]);
  });
});

redisOnly('ChannelStore', createRedisChannelStore, (_make, backend) => {
  it('shares live channels between the instances on one Redis', async () => {
    const instance = backend.cluster();
    const [a, b] = [await instance(), await instance()];
    await a.put(typed);
    expect(await b.all()).toEqual([typed]);
  });
});
