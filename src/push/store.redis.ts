import type { Redis } from 'ioredis';
import type { ReadFrom } from '../events/bus.js';
import { call, type RedisConnections } from '../redis/connections.js';
import { Deposed } from './leader.js';
import { fenceKey, pushPrefix } from './leader.redis.js';
import { KEPT_DELIVERIES, NEW_ENDPOINT, type CliRegistration, type CliStore, type Delivery, type EndpointState, type Fence } from './store.js';

// The endpoint state is merged field by field inside Redis, so the pushing
// worker and the health check never undo each other's changes.
const MERGE_STATE = `
local function mergeState(key, change, fresh)
  local state = cjson.decode(redis.call('GET', key) or fresh)
  for k, v in pairs(cjson.decode(change)) do state[k] = v end
  redis.call('SET', key, cjson.encode(state))
end
`;

// A write made for a lead (its fencing token given) that is no longer the
// newest is refused before it changes anything: -1.
const FENCED = `
local function deposed(fence, token)
  return token ~= '' and redis.call('GET', fence) ~= token
end
`;

// KEYS: registration, state, fence. ARGV: change, state of a new endpoint, token or ''.
const UPDATE_STATE_SCRIPT = `${MERGE_STATE}${FENCED}
if deposed(KEYS[3], ARGV[3]) then return -1 end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
mergeState(KEYS[2], ARGV[1], ARGV[2])
return 1
`;

// One push step in one round trip. A delivery seen before moves to the front
// of the recency list; what falls off the end leaves the hash too.
// KEYS: registration, deliveries, recent, state, cursor, fence.
// ARGV: delivery id, delivery, kept, state change or '', cursor or '', state of a new endpoint, token or ''.
const RECORD_SCRIPT = `${MERGE_STATE}${FENCED}
if deposed(KEYS[6], ARGV[7]) then return -1 end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) == 0 then redis.call('LREM', KEYS[3], 1, ARGV[1]) end
redis.call('LPUSH', KEYS[3], ARGV[1])
local kept = tonumber(ARGV[3])
local dropped = redis.call('LRANGE', KEYS[3], kept, -1)
if #dropped > 0 then
  redis.call('HDEL', KEYS[2], unpack(dropped))
  redis.call('LTRIM', KEYS[3], 0, kept - 1)
end
if ARGV[4] ~= '' then mergeState(KEYS[4], ARGV[4], ARGV[6]) end
if ARGV[5] ~= '' then redis.call('SET', KEYS[5], ARGV[5], 'XX') end
return 1
`;

// Counting the owner's registrations and storing the new one in one step, so
// registrations made at once cannot pass the limit together. Registering is
// rare, so the count reads every registration rather than keeping an index.
// KEYS: registration, cursor, index. ARGV: registration, cursor, id, owner, limit or '', key prefix.
const CREATE_SCRIPT = `
if ARGV[5] ~= '' then
  local limit, owned = tonumber(ARGV[5]), 0
  for _, id in ipairs(redis.call('SMEMBERS', KEYS[3])) do
    local raw = redis.call('GET', ARGV[6] .. 'cli:' .. id)
    if raw and cjson.decode(raw).ownerId == ARGV[4] then
      owned = owned + 1
      if owned >= limit then return 0 end
    end
  end
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[3])
return 1
`;

// KEYS: cursor, fence. ARGV: cursor, token or ''.
const SET_CURSOR_SCRIPT = `${FENCED}
if deposed(KEYS[2], ARGV[2]) then return -1 end
return redis.call('SET', KEYS[1], ARGV[1], 'XX') and 1 or 0
`;

type Scripts = {
  heraldCliSetCursor(cursor: string, fence: string, from: string, token: string): Promise<number>;
  heraldCliCreate(...args: string[]): Promise<number>;
  heraldCliUpdateState(registration: string, state: string, fence: string, change: string, fresh: string, token: string): Promise<number>;
  heraldCliRecord(...args: string[]): Promise<number>;
};

/** Registrations, cursors and endpoint states as JSON; deliveries as a hash plus a recency list. */
export function createRedisCliStore(redis: RedisConnections): CliStore {
  const client = redis.command as Redis & Scripts;
  client.defineCommand('heraldCliCreate', { numberOfKeys: 3, lua: CREATE_SCRIPT });
  client.defineCommand('heraldCliUpdateState', { numberOfKeys: 3, lua: UPDATE_STATE_SCRIPT });
  client.defineCommand('heraldCliRecord', { numberOfKeys: 6, lua: RECORD_SCRIPT });
  client.defineCommand('heraldCliSetCursor', { numberOfKeys: 2, lua: SET_CURSOR_SCRIPT });
  const fresh = JSON.stringify(NEW_ENDPOINT);
  // The push tag: every write of push progress checks the leader's fence in the same script (one slot in a Redis Cluster).
  const p = pushPrefix(redis.keyPrefix);
  const regKey = (id: string) => `${p}cli:${id}`;
  const index = `${p}clis`;
  const cursorKey = (id: string) => `${p}cli-cursor:${id}`;
  const stateKey = (id: string) => `${p}cli-state:${id}`;
  const deliveriesKey = (id: string) => `${p}cli-deliveries:${id}`;
  const recentKey = (id: string) => `${p}cli-recent:${id}`;
  const fence = fenceKey(p);
  const token = (t: Fence) => (t === undefined ? '' : String(t));
  /** A script's -1: the write was made for a lead that is over (thrown outside `call`, which would call it an outage). */
  const fenced = (result: number): void => {
    if (result === -1) throw new Deposed();
  };
  const json = <T>(raw: string | null): T | null => (raw === null ? null : (JSON.parse(raw) as T));
  const remove = async (id: string) => {
    const results = await client.multi().del(regKey(id)).srem(index, id).del(cursorKey(id), stateKey(id), deliveriesKey(id), recentKey(id)).exec();
    return results?.[0]?.[1] === 1;
  };

  return {
    create: (registration, from, maxPerOwner) =>
      call(async () => {
        const { id, ownerId } = registration;
        const made = await client.heraldCliCreate(regKey(id), cursorKey(id), index, JSON.stringify(registration), JSON.stringify(from), id, ownerId, maxPerOwner === undefined ? '' : String(maxPerOwner), p);
        return made === 1 ? registration : null;
      }),
    get: (id) => call(async () => json<CliRegistration>(await client.get(regKey(id)))),
    list: () =>
      call(async () => {
        const ids = (await client.smembers(index)).sort();
        if (ids.length === 0) return [];
        return (await client.mget(ids.map(regKey))).map((raw) => json<CliRegistration>(raw)).filter((r): r is CliRegistration => r !== null);
      }),
    delete: (id) => call(() => remove(id)),
    deleteByOwner: (ownerId) =>
      call(async () => {
        // Rare (a key is revoked), so the registrations are read rather than indexed by owner.
        const ids = (await client.smembers(index)).sort();
        const raw = ids.length === 0 ? [] : await client.mget(ids.map(regKey));
        const owned = raw.map((r) => json<CliRegistration>(r)).filter((r): r is CliRegistration => r?.ownerId === ownerId).map((r) => r.id);
        for (const id of owned) await remove(id);
        return owned;
      }),
    cursor: (id) => call(async () => json<ReadFrom>(await client.get(cursorKey(id)))),
    setCursor: async (id, from, t) => fenced(await call(() => client.heraldCliSetCursor(cursorKey(id), fence, JSON.stringify(from), token(t)))),
    state: (id) => call(async () => json<EndpointState>(await client.get(stateKey(id))) ?? NEW_ENDPOINT),
    updateState: async (id, change, t) => fenced(await call(() => client.heraldCliUpdateState(regKey(id), stateKey(id), fence, JSON.stringify(change), fresh, token(t)))),
    recordDelivery: async (delivery, progress) => {
      const r = delivery.registrationId;
      const result = await call(() =>
        client.heraldCliRecord(
          regKey(r),
          deliveriesKey(r),
          recentKey(r),
          stateKey(r),
          cursorKey(r),
          fence,
          delivery.id,
          JSON.stringify(delivery),
          String(KEPT_DELIVERIES),
          progress?.state ? JSON.stringify(progress.state) : '',
          progress?.cursor ? JSON.stringify(progress.cursor) : '',
          fresh,
          token(progress?.fence),
        ),
      );
      fenced(result);
    },
    delivery: (registrationId, id) => call(async () => json<Delivery>(await client.hget(deliveriesKey(registrationId), id))),
    deliveries: (registrationId, status, first) =>
      call(async () => {
        const ids = await client.lrange(recentKey(registrationId), 0, -1);
        if (ids.length === 0) return [];
        const all = (await client.hmget(deliveriesKey(registrationId), ...ids)).map((raw) => json<Delivery>(raw)).filter((d): d is Delivery => d !== null);
        return all.filter((d) => status === null || d.status === status).slice(0, first);
      }),
  };
}
