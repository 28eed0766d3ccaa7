import type { RedisConnections } from '../redis/connections.js';
import type { Leadership } from './leader.js';

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0
`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export function redisLeadership(redis: RedisConnections, instanceId: string, ttlMs: number): Leadership {
  const key = `${redis.keyPrefix}push-leader`;
  const client = redis.command as RedisConnections['command'] & {
    heraldLead(key: string, id: string, ttl: number): Promise<number>;
    heraldUnlead(key: string, id: string): Promise<number>;
  };
  client.defineCommand('heraldLead', { numberOfKeys: 1, lua: RENEW });
  client.defineCommand('heraldUnlead', { numberOfKeys: 1, lua: RELEASE });
  return {
    claim: () => client.heraldLead(key, instanceId, ttlMs).then((held) => held === 1, () => false),
    release: () => client.heraldUnlead(key, instanceId).then(() => undefined, () => undefined),
  };
}
