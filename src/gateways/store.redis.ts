import { bulkScript } from '../redis/bulk-script.js';
import { call, mayHaveRun, type RedisConnections } from '../redis/connections.js';
import { NO_DELIVERIES, type Gateway, type GatewayKeyRecord } from './model.js';
import type { GatewayStore } from './store.js';

// Adds the events sent that an instance counted since it last did (see SENT_FLUSH_MS), for the
// gateways that still exist: a deleted gateway's counts are not written back. One command for
// them all: one per gateway costs more in ioredis than the work Redis does for it.
// KEYS: per gateway its record and its statistics hash. ARGV: per gateway the count.
const ADD_SENT_SCRIPT = `
for i = 1, #ARGV do
  if redis.call('EXISTS', KEYS[2 * i - 1]) == 1 then redis.call('HINCRBY', KEYS[2 * i], 'eventsSent', ARGV[i]) end
end
return #ARGV
`;
/**
 * How long events sent are counted on the instance before they are added in
 * Redis. Every deployment sends an event to each of its targets: a hundred
 * deployments a second to a hundred gateways each were ten thousand
 * increments a second, more of Redis's time than the deployments' own
 * records. An instance's reads add what it counted and has not written yet;
 * another instance sees them within this time; an instance that dies loses
 * at most this long's counts.
 */
export const SENT_FLUSH_MS = 1_000;
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
  const addSent = bulkScript(ADD_SENT_SCRIPT);
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

  /** Events sent, per gateway, counted here and not yet added in Redis; and those of a flush on its way. */
  let unsent = new Map<string, number>();
  let sending = new Map<string, number>();
  let flushing: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const flushSoon = () => {
    if (timer) return;
    timer = setTimeout(() => void flush(), SENT_FLUSH_MS);
    timer.unref();
  };
  /** Adds the counts in Redis; a flush that fails keeps them for the next. */
  const flushOnce = async () => {
    [sending, unsent] = [unsent, new Map()];
    const ids = [...sending.keys()];
    try {
      await addSent(client, ids.flatMap((id) => [gatewayKey(id), statsOf(id)]), ids.map((id) => String(sending.get(id))));
    } catch (err) {
      // Cut off after it was sent, it may have been added: dropped rather than counted twice.
      if (!mayHaveRun(err)) for (const [id, n] of sending) unsent.set(id, (unsent.get(id) ?? 0) + n);
    } finally {
      sending = new Map();
    }
  };
  /** Writes what was counted before it was called (a flush on its way first). */
  const flush = async (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    while (flushing) await flushing;
    if (unsent.size === 0) return;
    flushing = flushOnce().finally(() => {
      flushing = undefined;
      if (unsent.size > 0) flushSoon();
    });
    await flushing;
  };
  const notWritten = (gatewayId: string) => (unsent.get(gatewayId) ?? 0) + (sending.get(gatewayId) ?? 0);

  return {
    flush,
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
        unsent.delete(id);
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
          for (const id of gatewayIds) unsent.set(id, (unsent.get(id) ?? 0) + 1);
          flushSoon();
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
        // Not while a flush is on its way: the counts it carries are in Redis or not, and here until its answer.
        await flushing;
        const h = await client.hgetall(statsOf(gatewayId));
        return {
          eventsSent: Number(h.eventsSent ?? NO_DELIVERIES.eventsSent) + notWritten(gatewayId),
          failedDeliveries: Number(h.failedDeliveries ?? NO_DELIVERIES.failedDeliveries),
          lastFailureAt: h.lastFailureAt ?? null,
          lastFailureReason: h.lastFailureReason ?? null,
        };
      }),
  };
}

const parse = <T>(raw: string | null): T | null => (raw === null ? null : (JSON.parse(raw) as T));
