import { call, type RedisConnections } from '../redis/connections.js';
import type { ApiKeyRecord, ApiKeyStore } from './api-keys.js';

// Sets revokedAt only once, atomically, whichever instance revokes.
const REVOKE_SCRIPT = `
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local key = cjson.decode(raw)
if key['revokedAt'] == cjson.null or key['revokedAt'] == nil then
  key['revokedAt'] = ARGV[1]
  raw = cjson.encode(key)
  redis.call('SET', KEYS[1], raw)
end
return raw
`;

/** Each key as JSON by id, plus a set of ids. */
export function createRedisApiKeyStore(redis: RedisConnections): ApiKeyStore {
  const client = redis.command as RedisConnections['command'] & { heraldRevokeKey(key: string, at: string): Promise<string | null> };
  client.defineCommand('heraldRevokeKey', { numberOfKeys: 1, lua: REVOKE_SCRIPT });
  // One hash tag: a key and the index change in one transaction (one slot in a Redis Cluster).
  const keyOf = (id: string) => `${redis.keyPrefix}{api-keys}:api-key:${id}`;
  const index = `${redis.keyPrefix}{api-keys}:api-keys`;
  return {
    create: (key) =>
      call(async () => {
        await client.multi().set(keyOf(key.id), JSON.stringify(key)).sadd(index, key.id).exec();
        return key;
      }),
    get: (id) => call(async () => parse(await client.get(keyOf(id)))),
    list: () =>
      call(async () => {
        const ids = (await client.smembers(index)).sort();
        if (ids.length === 0) return [];
        return (await client.mget(ids.map(keyOf))).map(parse).filter((k): k is ApiKeyRecord => k !== null);
      }),
    revoke: (id, at) => call(async () => parse(await client.heraldRevokeKey(keyOf(id), at))),
  };
}

function parse(raw: string | null): ApiKeyRecord | null {
  if (raw === null) return null;
  const key = JSON.parse(raw) as ApiKeyRecord & { scopes: unknown };
  // cjson writes an empty list as an empty object.
  return { ...key, scopes: Array.isArray(key.scopes) ? key.scopes : [] };
}
