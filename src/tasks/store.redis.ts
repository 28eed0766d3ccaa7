import type { Redis } from 'ioredis';
import type { RecordWrite } from '../events/bus.js';
import { call, type RedisConnections } from '../redis/connections.js';
import type { Task } from './model.js';
import type { TaskStore } from './store.js';

// Read-modify-write in one script so concurrent updates from different
// instances never lose each other's fields. JSON null clears a field.
const UPDATE_SCRIPT = `
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local task = cjson.decode(raw)
for k, v in pairs(cjson.decode(ARGV[1])) do task[k] = v end
task['updatedAt'] = ARGV[2]
local out = cjson.encode(task)
redis.call('SET', KEYS[1], out)
return out
`;

const DELETE_SCRIPT = `
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
redis.call('DEL', KEYS[1])
redis.call('ZREM', ARGV[1] .. cjson.decode(raw)['repository'], ARGV[2])
return raw
`;

type Scripts = {
  heraldTaskUpdate(key: string, patch: string, updatedAt: string): Promise<string | null>;
  heraldTaskDelete(key: string, indexPrefix: string, id: string): Promise<string | null>;
};

/** Tasks as JSON strings; per repository a sorted set of ids (ULIDs sort by creation time). */
export function createRedisTaskStore(redis: RedisConnections): TaskStore {
  const client = redis.command as Redis & Scripts;
  client.defineCommand('heraldTaskUpdate', { numberOfKeys: 1, lua: UPDATE_SCRIPT });
  client.defineCommand('heraldTaskDelete', { numberOfKeys: 1, lua: DELETE_SCRIPT });
  // One hash tag: a task and its repository's index change in one transaction (one slot in a Redis Cluster).
  const taskKey = (id: string) => `${redis.keyPrefix}{tasks}:task:${id}`;
  const indexPrefix = `${redis.keyPrefix}{tasks}:repo-tasks:`;

  const recordOf = (task: Task): RecordWrite => ({ key: taskKey(task.id), value: JSON.stringify(task), index: indexPrefix + task.repository, member: task.id });

  return {
    create: (task) =>
      call(async () => {
        const { key, value, index, member } = recordOf(task);
        await client.multi().set(key, value).zadd(index, 0, member).exec();
        return task;
      }),
    recordOf,
    get: (id) => call(async () => parse(await client.get(taskKey(id)))),
    list: (repository) =>
      call(async () => {
        const ids = await client.zrange(indexPrefix + repository, 0, -1);
        if (ids.length === 0) return [];
        const raws = await client.mget(ids.map(taskKey));
        return raws.map(parse).filter((t): t is Task => t !== null);
      }),
    update: (id, patch, updatedAt) =>
      call(async () => parse(await client.heraldTaskUpdate(taskKey(id), JSON.stringify(patch), updatedAt))),
    delete: (id) => call(async () => parse(await client.heraldTaskDelete(taskKey(id), indexPrefix, id))),
  };
}

const parse = (raw: string | null): Task | null => (raw === null ? null : (JSON.parse(raw) as Task));
