import type { ReadFrom } from '../events/bus.js';
import { call, type RedisConnections } from '../redis/connections.js';
import { KEPT_DELIVERIES, NEW_ENDPOINT, type CliRegistration, type CliStore, type Delivery, type EndpointState } from './cli.js';

/** Registrations, cursors and endpoint states as JSON; deliveries as a hash plus a recency list. */
export function createRedisCliStore(redis: RedisConnections): CliStore {
  const client = redis.command;
  const p = redis.keyPrefix;
  const regKey = (id: string) => `${p}cli:${id}`;
  const index = `${p}clis`;
  const cursorKey = (id: string) => `${p}cli-cursor:${id}`;
  const stateKey = (id: string) => `${p}cli-state:${id}`;
  const deliveriesKey = (id: string) => `${p}cli-deliveries:${id}`;
  const recentKey = (id: string) => `${p}cli-recent:${id}`;
  const json = <T>(raw: string | null): T | null => (raw === null ? null : (JSON.parse(raw) as T));

  return {
    create: (registration, from) =>
      call(async () => {
        await client
          .multi()
          .set(regKey(registration.id), JSON.stringify(registration))
          .set(cursorKey(registration.id), JSON.stringify(from))
          .sadd(index, registration.id)
          .exec();
        return registration;
      }),
    get: (id) => call(async () => json<CliRegistration>(await client.get(regKey(id)))),
    list: () =>
      call(async () => {
        const ids = (await client.smembers(index)).sort();
        if (ids.length === 0) return [];
        return (await client.mget(ids.map(regKey))).map((raw) => json<CliRegistration>(raw)).filter((r): r is CliRegistration => r !== null);
      }),
    delete: (id) =>
      call(async () => {
        const results = await client.multi().del(regKey(id)).srem(index, id).del(cursorKey(id), stateKey(id), deliveriesKey(id), recentKey(id)).exec();
        return results?.[0]?.[1] === 1;
      }),
    cursor: (id) => call(async () => json<ReadFrom>(await client.get(cursorKey(id)))),
    setCursor: (id, from) =>
      call(async () => {
        await client.set(cursorKey(id), JSON.stringify(from), 'XX');
      }),
    state: (id) => call(async () => json<EndpointState>(await client.get(stateKey(id))) ?? NEW_ENDPOINT),
    setState: (id, state) =>
      call(async () => {
        if (await client.exists(regKey(id))) await client.set(stateKey(id), JSON.stringify(state));
      }),
    recordDelivery: (delivery) =>
      call(async () => {
        const r = delivery.registrationId;
        const results = await client
          .multi()
          .hset(deliveriesKey(r), delivery.id, JSON.stringify(delivery))
          .lrem(recentKey(r), 0, delivery.id)
          .lpush(recentKey(r), delivery.id)
          .lrange(recentKey(r), KEPT_DELIVERIES, -1)
          .ltrim(recentKey(r), 0, KEPT_DELIVERIES - 1)
          .exec();
        const dropped = (results?.[3]?.[1] as string[] | undefined) ?? [];
        if (dropped.length > 0) await client.hdel(deliveriesKey(r), ...dropped);
      }),
    deliveries: (registrationId, status, first) =>
      call(async () => {
        const ids = await client.lrange(recentKey(registrationId), 0, -1);
        if (ids.length === 0) return [];
        const all = (await client.hmget(deliveriesKey(registrationId), ...ids)).map((raw) => json<Delivery>(raw)).filter((d): d is Delivery => d !== null);
        return all.filter((d) => status === null || d.status === status).slice(0, first);
      }),
  };
}
