import type { Redis } from 'ioredis';
import { call, type RedisConnections } from '../redis/connections.js';
import type { DeploymentStore, RecordedDeployment, RecordedTarget } from './acknowledgements.js';

// A deployment is a hash: `meta` (JSON: id, kind, correlation id, publish
// time) and one field per target gateway (JSON: event id, status,
// acknowledgedAt); an index from each event id to `<deployment>|<gateway>`,
// from a correlation id to its latest deployment, and from each gateway to
// the latest deployment that targeted it. All expire together.

// KEYS: the deployment hash, the event index key. ARGV: gateway id, event id, at.
// Confirms the target once; returns the whole hash, or nil when the event is not this gateway's.
const ACKNOWLEDGE = `
local target = redis.call('HGET', KEYS[1], ARGV[1])
if not target then return false end
local record = cjson.decode(target)
if record['eventId'] ~= ARGV[2] then return false end
if record['acknowledgedAt'] == cjson.null or record['acknowledgedAt'] == nil then
  redis.call('HSET', KEYS[1], ARGV[1], string.sub(target, 1, -2) .. ',"acknowledgedAt":"' .. ARGV[3] .. '"}')
end
return redis.call('HGETALL', KEYS[1])
`;

type Scripts = { heraldDeploymentAck(hash: string, index: string, gatewayId: string, eventId: string, at: string): Promise<string[] | null> };

export function createRedisDeploymentStore(redis: RedisConnections): DeploymentStore {
  const client = redis.command as Redis & Scripts;
  client.defineCommand('heraldDeploymentAck', { numberOfKeys: 2, lua: ACKNOWLEDGE });
  // One hash tag: a deployment is recorded with its indexes in one transaction (one slot in a Redis Cluster).
  const p = `${redis.keyPrefix}{deployments}:`;
  const hashOf = (id: string) => `${p}deployment:${id}`;
  const eventKey = (eventId: string) => `${p}deployment-event:${eventId}`;
  const correlationKey = (correlationId: string) => `${p}deployment-correlation:${correlationId}`;
  const gatewayKey = (gatewayId: string) => `${p}deployment-gateway:${gatewayId}`;

  const read = async (id: string): Promise<RecordedDeployment | null> => fromHash(await client.hgetall(hashOf(id)));

  return {
    record: (deployment, ttlSeconds) =>
      call(async () => {
        const { targets, ...meta } = deployment;
        const batch = client.multi().hset(hashOf(deployment.id), 'meta', JSON.stringify(meta));
        // acknowledgedAt is left out until a gateway confirms: the script appends it.
        for (const { acknowledgedAt: _unset, ...target } of targets) batch.hset(hashOf(deployment.id), target.gatewayId, JSON.stringify(target));
        batch.expire(hashOf(deployment.id), ttlSeconds);
        for (const t of targets) if (t.eventId !== null) batch.set(eventKey(t.eventId), deployment.id, 'EX', ttlSeconds);
        if (deployment.correlationId !== null) batch.set(correlationKey(deployment.correlationId), deployment.id, 'EX', ttlSeconds);
        for (const t of targets) batch.set(gatewayKey(t.gatewayId), deployment.id, 'EX', ttlSeconds);
        await batch.exec();
      }),
    acknowledge: (gatewayId, eventId, at) =>
      call(async () => {
        const id = await client.get(eventKey(eventId));
        if (id === null) return null;
        const flat = await client.heraldDeploymentAck(hashOf(id), eventKey(eventId), gatewayId, eventId, at);
        if (flat === null) return null;
        const record: Record<string, string> = {};
        for (let i = 0; i < flat.length; i += 2) record[flat[i]!] = flat[i + 1]!;
        return fromHash(record);
      }),
    get: (idOrCorrelationId) =>
      call(async () => (await read(idOrCorrelationId)) ?? (await read((await client.get(correlationKey(idOrCorrelationId))) ?? ''))),
    latestFor: (gatewayId) =>
      call(async () => {
        const id = await client.get(gatewayKey(gatewayId));
        return id === null ? null : read(id);
      }),
  };
}

function fromHash(record: Record<string, string>): RecordedDeployment | null {
  if (record.meta === undefined) return null;
  const meta = JSON.parse(record.meta) as Omit<RecordedDeployment, 'targets'>;
  const targets = Object.entries(record)
    .filter(([field]) => field !== 'meta')
    .map(([, json]) => {
      const t = JSON.parse(json) as Omit<RecordedTarget, 'acknowledgedAt'> & { acknowledgedAt?: string };
      return { ...t, acknowledgedAt: t.acknowledgedAt ?? null };
    })
    .sort((a, b) => (a.gatewayId < b.gatewayId ? -1 : 1));
  return { ...meta, targets };
}
