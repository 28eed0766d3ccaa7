import type { RedisConnections } from '../redis/connections.js';
import type { Leadership } from './leader.js';

/** The key holding the newest lead's fencing token (the store checks writes against it). */
/** Push keys share one hash tag with the lead's fence, which their scripts check (one slot in a Redis Cluster). */
export const pushPrefix = (keyPrefix: string) => `${keyPrefix}{push}:`;
export const fenceKey = (prefix: string) => `${prefix}push-fence`;

// KEYS: lock, fence. ARGV: instance id, ttl. Renewing keeps the token; a new
// lead (this instance's too, after its lock lapsed) takes the next one.
const CLAIM = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  local token = redis.call('GET', KEYS[2])
  if token then return tonumber(token) end
elseif holder then
  return 0
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return token
`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export function redisLeadership(redis: RedisConnections, instanceId: string, ttlMs: number): Leadership {
  const key = `${pushPrefix(redis.keyPrefix)}push-leader`;
  const fence = fenceKey(pushPrefix(redis.keyPrefix));
  const client = redis.command as RedisConnections['command'] & {
    heraldLead(key: string, fence: string, id: string, ttl: number): Promise<number>;
    heraldUnlead(key: string, id: string): Promise<number>;
  };
  client.defineCommand('heraldLead', { numberOfKeys: 2, lua: CLAIM });
  client.defineCommand('heraldUnlead', { numberOfKeys: 1, lua: RELEASE });
  return {
    claim: () => client.heraldLead(key, fence, instanceId, ttlMs).then((token) => (token > 0 ? token : null), () => null),
    release: () => client.heraldUnlead(key, instanceId).then(() => undefined, () => undefined),
  };
}
