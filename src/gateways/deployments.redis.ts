import type { Redis } from 'ioredis';
import { bulkScript } from '../redis/bulk-script.js';
import { call, type RedisConnections } from '../redis/connections.js';
import type { DeploymentStore, RecordedDeployment, RecordedTarget } from './acknowledgements.js';

// A deployment is a hash: `meta` (JSON: id, kind, correlation id, publish
// time) and one field per target gateway (JSON: event id, status,
// acknowledgedAt). Indexes: from each event id to its deployment, in one hash
// per second of event ids (a ULID starts with its time: ids that share their
// first eight characters were made within 1.024 s; a hash that expires is
// freed at once, so each stays small), from a correlation
// id to its latest deployment, and from each gateway to the latest deployment
// that targeted it (one hash, a field per gateway). A key per event and per
// gateway took two commands per target, as much of Redis's time as
// publishing the events, and a key per event made its keyspace grow with
// every event sent. All but the gateway index expire with the deployment; a
// gateway's entry outlives its deployment (and then finds none) until the
// gateway is deleted.

// KEYS: the deployment hash. ARGV: gateway id, event id, at.
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

// Records a deployment in one call: a hash write per index rather than
// commands per target.
// KEYS: the hash, the correlation index (or the hash again: none), the
// gateway index, then the event indexes its events fall in. ARGV: the time
// to live, meta, the deployment id, then per target its gateway id, JSON,
// event id and the number of its event index among the keys (0: no event).
const RECORD = `
local ttl, id = ARGV[1], ARGV[3]
local fields, latest, events = { 'meta', ARGV[2] }, {}, {}
for i = 0, (#ARGV - 3) / 4 - 1 do
  local gateway, json, event, index = ARGV[4 + 4 * i], ARGV[5 + 4 * i], ARGV[6 + 4 * i], tonumber(ARGV[7 + 4 * i])
  fields[#fields + 1] = gateway
  fields[#fields + 1] = json
  latest[#latest + 1] = gateway
  latest[#latest + 1] = id
  if index > 0 then
    local entries = events[index]
    if not entries then entries = {}; events[index] = entries end
    entries[#entries + 1] = event
    entries[#entries + 1] = id
  end
end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('EXPIRE', KEYS[1], ttl)
if KEYS[2] ~= KEYS[1] then redis.call('SET', KEYS[2], id, 'EX', ttl) end
if #latest > 0 then redis.call('HSET', KEYS[3], unpack(latest)) end
for index = 4, #KEYS do
  redis.call('HSET', KEYS[index], unpack(events[index - 3]))
  redis.call('EXPIRE', KEYS[index], ttl)
end
`;

type Scripts = {
  heraldDeploymentAck(hash: string, gatewayId: string, eventId: string, at: string): Promise<string[] | null>;
};

export function createRedisDeploymentStore(redis: RedisConnections): DeploymentStore {
  const client = redis.command as Redis & Scripts;
  client.defineCommand('heraldDeploymentAck', { numberOfKeys: 1, lua: ACKNOWLEDGE });
  const recordScript = bulkScript(RECORD);
  // One hash tag: a deployment and its indexes are recorded by one script (one slot in a Redis Cluster).
  const p = `${redis.keyPrefix}{deployments}:`;
  const hashOf = (id: string) => `${p}deployment:${id}`;
  const eventsKey = (eventId: string) => `${p}deployment-events:${eventId.slice(0, 8)}`;
  const correlationKey = (correlationId: string) => `${p}deployment-correlation:${correlationId}`;
  const latestKey = `${p}deployment-latest`;
  // Indexes of deployments recorded by versions before these hashes, read when the hashes lack the entry.
  const olderEventKey = (eventId: string) => `${p}deployment-event:${eventId}`;
  const olderGatewayKey = (gatewayId: string) => `${p}deployment-gateway:${gatewayId}`;

  const read = async (id: string): Promise<RecordedDeployment | null> => fromHash(await client.hgetall(hashOf(id)));
  const deploymentOf = async (eventId: string) => (await client.hget(eventsKey(eventId), eventId)) ?? (await client.get(olderEventKey(eventId)));

  return {
    record: (deployment, ttlSeconds) =>
      call(async () => {
        const { targets, ...meta } = deployment;
        const hash = hashOf(deployment.id);
        // No index to write is named by the hash itself: an empty key would hash to another slot on a Cluster.
        const keys = [hash, deployment.correlationId === null ? hash : correlationKey(deployment.correlationId), latestKey];
        const args = [String(ttlSeconds), JSON.stringify(meta), deployment.id];
        // acknowledgedAt is left out until a gateway confirms: the script appends it.
        // Each target names its event index by its number among the keys past the first three (0: no event).
        for (const { acknowledgedAt: _unset, ...target } of targets) {
          let index = 0;
          if (target.eventId !== null) {
            const key = eventsKey(target.eventId);
            const at = keys.indexOf(key, 3);
            index = (at === -1 ? keys.push(key) - 1 : at) - 2;
          }
          args.push(target.gatewayId, JSON.stringify(target), target.eventId ?? '', String(index));
        }
        await recordScript(client, keys, args);
      }),
    acknowledge: (gatewayId, eventId, at) =>
      call(async () => {
        const id = await deploymentOf(eventId);
        if (id === null) return null;
        const flat = await client.heraldDeploymentAck(hashOf(id), gatewayId, eventId, at);
        if (flat === null) return null;
        const record: Record<string, string> = {};
        for (let i = 0; i < flat.length; i += 2) record[flat[i]!] = flat[i + 1]!;
        return fromHash(record);
      }),
    get: (idOrCorrelationId) =>
      call(async () => (await read(idOrCorrelationId)) ?? (await read((await client.get(correlationKey(idOrCorrelationId))) ?? ''))),
    latestFor: (gatewayId) =>
      call(async () => {
        const id = (await client.hget(latestKey, gatewayId)) ?? (await client.get(olderGatewayKey(gatewayId)));
        return id === null ? null : read(id);
      }),
    forgetGateway: (gatewayId) =>
      call(async () => {
        await client.multi().hdel(latestKey, gatewayId).del(olderGatewayKey(gatewayId)).exec();
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
