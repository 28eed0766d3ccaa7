import { bulkScript } from '../redis/bulk-script.js';
import { call, type RedisConnections } from '../redis/connections.js';
import { NO_DELIVERIES, type Gateway, type GatewayKeyRecord } from './model.js';
import type { GatewayStore } from './store.js';

// Runs for every deployment, over every target gateway: one command instead of one command
// per gateway, which in ioredis costs more than the work Redis does for it (as does the
// membership check, SMISMEMBER).
// KEYS: the statistics hashes of gateways that were sent an event.
const COUNT_SENT_SCRIPT = `
for i = 1, #KEYS do redis.call('HINCRBY', KEYS[i], 'eventsSent', 1) end
return #KEYS
`;
// Runs when a key authenticates (at most once a minute per key and instance).
// KEYS: the key's record, the hash of last uses. ARGV: key id, time.
// A key deleted meanwhile (its gateway was) leaves nothing behind.
const RECORD_USE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1
`;
type GatewayScripts = {
  heraldGatewayKeyUsed(record: string, used: string, keyId: string, at: string): Promise<number>;
};

/**
 * Gateways as JSON strings plus an id set; keys as JSON by key id with a
 * per-gateway set of key ids; delivery statistics as a hash per gateway.
 */
export function createRedisGatewayStore(redis: RedisConnections): GatewayStore {
  const client = redis.command;
  // One hash tag for every gateway key: scripts read many gateways at once (one slot in a Redis Cluster).
  const p = `${redis.keyPrefix}{gateways}:`;
  const countSent = bulkScript(COUNT_SENT_SCRIPT);
  client.defineCommand('heraldGatewayKeyUsed', { numberOfKeys: 2, lua: RECORD_USE_SCRIPT });
  const scripts = client as unknown as GatewayScripts;
  const gatewayKey = (id: string) => `${p}gateway:${id}`;
  const allGateways = `${p}gateways`;
  const apiKey = (keyId: string) => `${p}gateway-key:${keyId}`;
  const keysOf = (gatewayId: string) => `${p}gateway-keys:${gatewayId}`;
  const statsOf = (gatewayId: string) => `${p}gateway-stats:${gatewayId}`;
  const configOf = (gatewayId: string) => `${p}gateway-config:${gatewayId}`;
  /** When each key last authenticated: one hash for all keys, a field per key. */
  const keysUsed = `${p}gateway-keys-used`;

  return {
    create: (gateway) =>
      call(async () => {
        await client.multi().set(gatewayKey(gateway.id), JSON.stringify(gateway)).sadd(allGateways, gateway.id).exec();
        return gateway;
      }),
    get: (id) => call(async () => parse<Gateway>(await client.get(gatewayKey(id)))),
    missing: (ids) =>
      // Membership only, not the records: a deployment names up to a thousand gateways.
      call(async () => {
        if (ids.length === 0) return [];
        const member = await client.smismember(allGateways, ...ids);
        return ids.filter((_, i) => member[i] === 0);
      }),
    list: () =>
      call(async () => {
        const ids = (await client.smembers(allGateways)).sort();
        if (ids.length === 0) return [];
        return (await client.mget(ids.map(gatewayKey))).map((raw) => parse<Gateway>(raw)).filter((g): g is Gateway => g !== null);
      }),
    delete: (id) =>
      call(async () => {
        const keyIds = await client.smembers(keysOf(id));
        const removal = client
          .multi()
          .del(gatewayKey(id))
          .srem(allGateways, id)
          .del(keysOf(id), statsOf(id), configOf(id), ...keyIds.map(apiKey));
        if (keyIds.length > 0) removal.hdel(keysUsed, ...keyIds);
        const results = await removal.exec();
        return results?.[0]?.[1] === 1;
      }),
    addKey: (key) =>
      call(async () => {
        await client.multi().set(apiKey(key.id), JSON.stringify(key)).sadd(keysOf(key.gatewayId), key.id).exec();
      }),
    getKey: (keyId) => call(async () => parse<GatewayKeyRecord>(await client.get(apiKey(keyId)))),
    revokeKeys: (gatewayId, at) =>
      call(async () => {
        const keyIds = await client.smembers(keysOf(gatewayId));
        let revoked = 0;
        for (const keyId of keyIds) {
          const key = parse<GatewayKeyRecord>(await client.get(apiKey(keyId)));
          if (key && key.revokedAt === null) {
            await client.set(apiKey(keyId), JSON.stringify({ ...key, revokedAt: at }));
            revoked++;
          }
        }
        return revoked;
      }),
    revokeKey: (gatewayId, keyId, at) =>
      call(async () => {
        const key = parse<GatewayKeyRecord>(await client.get(apiKey(keyId)));
        if (!key || key.gatewayId !== gatewayId) return null;
        if (key.revokedAt !== null) return key;
        const revoked = { ...key, revokedAt: at };
        await client.set(apiKey(keyId), JSON.stringify(revoked));
        return revoked;
      }),
    keys: (gatewayId) =>
      call(async () => {
        const keyIds = (await client.smembers(keysOf(gatewayId))).sort();
        if (keyIds.length === 0) return [];
        const [records, used] = await Promise.all([client.mget(keyIds.map(apiKey)), client.hmget(keysUsed, ...keyIds)]);
        return records.flatMap((raw, i) => {
          const key = parse<GatewayKeyRecord>(raw);
          return key ? [{ ...key, lastUsedAt: used[i] ?? null }] : [];
        });
      }),
    recordKeyUse: (keyId, at) =>
      call(async () => {
        await scripts.heraldGatewayKeyUsed(apiKey(keyId), keysUsed, keyId, at);
      }),
    saveConfig: (gatewayId, config) =>
      call(async () => {
        const results = await client.multi().hincrby(configOf(gatewayId), 'version', 1).hset(configOf(gatewayId), 'config', JSON.stringify(config)).exec();
        return Number(results?.[0]?.[1]);
      }),
    recordDeliveries: (gatewayIds, outcome) =>
      call(async () => {
        if (gatewayIds.length === 0) return;
        if (outcome.ok) {
          await countSent(client, gatewayIds.map(statsOf), []);
          return;
        }
        const batch = client.multi();
        for (const gatewayId of gatewayIds)
          batch
            .hincrby(statsOf(gatewayId), 'failedDeliveries', 1)
            .hset(statsOf(gatewayId), 'lastFailureAt', outcome.at, 'lastFailureReason', outcome.reason);
        await batch.exec();
      }),
    deliveryStats: (gatewayId) =>
      call(async () => {
        const h = await client.hgetall(statsOf(gatewayId));
        return {
          eventsSent: Number(h.eventsSent ?? NO_DELIVERIES.eventsSent),
          failedDeliveries: Number(h.failedDeliveries ?? NO_DELIVERIES.failedDeliveries),
          lastFailureAt: h.lastFailureAt ?? null,
          lastFailureReason: h.lastFailureReason ?? null,
        };
      }),
  };
}

const parse = <T>(raw: string | null): T | null => (raw === null ? null : (JSON.parse(raw) as T));
