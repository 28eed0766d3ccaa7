import type { Redis } from 'ioredis';
import { bulkScript } from '../redis/bulk-script.js';
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

// Records a deployment in one call rather than three commands per target: a
// deployment to 1000 gateways made 3000 commands, whose encoding alone cost
// the instance more than delivering the events.
// KEYS: the hash, the correlation index (or the hash again: none), then per
// target its gateway index and event index (or the hash again). ARGV: the
// time to live, meta, the
// deployment id, then per target its gateway id and JSON.
const RECORD = `
local ttl = ARGV[1]
local fields = { 'meta', ARGV[2] }
local targets = (#ARGV - 3) / 2
for i = 1, targets do
  fields[2 * i + 1] = ARGV[2 + 2 * i]
  fields[2 * i + 2] = ARGV[3 + 2 * i]
end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('EXPIRE', KEYS[1], ttl)
for i = 1, targets do
  local events = KEYS[2 + 2 * i]
  if events ~= KEYS[1] then redis.call('SET', events, ARGV[3], 'EX', ttl) end
end
if KEYS[2] ~= KEYS[1] then redis.call('SET', KEYS[2], ARGV[3], 'EX', ttl) end
for i = 1, targets do redis.call('SET', KEYS[1 + 2 * i], ARGV[3], 'EX', ttl) end
`;

type Scripts = {
  heraldDeploymentAck(hash: string, index: string, gatewayId: string, eventId: string, at: string): Promise<string[] | null>;
};

export function createRedisDeploymentStore(redis: RedisConnections): DeploymentStore {
  const client = redis.command as Redis & Scripts;
  client.defineCommand('heraldDeploymentAck', { numberOfKeys: 2, lua: ACKNOWLEDGE });
  const recordScript = bulkScript(RECORD);
  // One hash tag: a deployment and its indexes are recorded by one script (one slot in a Redis Cluster).
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
        const hash = hashOf(deployment.id);
        // No index to write is named by the hash itself: an empty key would hash to another slot on a Cluster.
        const keys = [hash, deployment.correlationId === null ? hash : correlationKey(deployment.correlationId)];
        const args = [String(ttlSeconds), JSON.stringify(meta), deployment.id];
        // acknowledgedAt is left out until a gateway confirms: the script appends it.
        for (const { acknowledgedAt: _unset, ...target } of targets) {
          keys.push(gatewayKey(target.gatewayId), target.eventId === null ? hash : eventKey(target.eventId));
          args.push(target.gatewayId, JSON.stringify(target));
        }
        await recordScript(client, keys, args);
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
