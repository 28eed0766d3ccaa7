import type { RedisConnections } from '../redis/connections.js';
import type { Refused, SharedWindows, WindowCheck } from './windows.js';

// The same decision as decide() in window.ts, atomically for all of an
// operation's fields, on Redis's clock so instances' clocks need not agree.
// KEYS: one sorted set of call times per client and field.
// ARGV: member prefix, then max, window ms, burst, cost for each key.
const TAKE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait, refused = 0, 0
for i, key in ipairs(KEYS) do
  local a = 1 + (i - 1) * 4
  local max, window, burst, cost = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - 2 * window)
  local total = redis.call('ZCARD', key)
  local current = redis.call('ZCOUNT', key, '(' .. (now - window), '+inf')
  if not (current + cost <= max or (current + cost <= max + burst and total + cost <= 2 * max)) then
    local oldest = redis.call('ZRANGEBYSCORE', key, '(' .. (now - window), '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
    local w = window
    if oldest[2] then w = math.max(1, tonumber(oldest[2]) + window - now) end
    if w > wait then wait, refused = w, i end
  end
end
if wait > 0 then return {wait, refused} end
for i, key in ipairs(KEYS) do
  local a = 1 + (i - 1) * 4
  local window, cost = tonumber(ARGV[a + 2]), tonumber(ARGV[a + 4])
  local members = {}
  for j = 1, cost do
    members[#members + 1] = now
    members[#members + 1] = ARGV[1] .. ':' .. i .. ':' .. j
  end
  redis.call('ZADD', key, unpack(members))
  redis.call('PEXPIRE', key, 2 * window)
end
return {0, 0}
`;

type Take = (numberOfKeys: number, ...args: Array<string | number>) => Promise<[number, number]>;

/** Windows shared by every instance on one Redis. Rejects when Redis cannot answer. */
export function createRedisWindows(redis: RedisConnections, instanceId: string): SharedWindows {
  redis.command.defineCommand('heraldRateTake', { lua: TAKE_SCRIPT });
  const take = (redis.command as unknown as { heraldRateTake: Take }).heraldRateTake.bind(redis.command);
  let calls = 0;
  return {
    async take(checks: readonly WindowCheck[]): Promise<Refused | undefined> {
      const args: Array<string | number> = [];
      for (const c of checks) args.push(windowKey(redis.keyPrefix, c.key));
      // Members only need to be unique per call; the prefix makes them unique across instances.
      args.push(`${instanceId}:${(calls = (calls + 1) % Number.MAX_SAFE_INTEGER)}`);
      for (const c of checks) args.push(c.rule.max, c.rule.windowSeconds * 1000, c.rule.burst, c.cost);
      const [waitMs, index] = await take(checks.length, ...args);
      return waitMs > 0 ? { index: index - 1, retryAfterMs: waitMs } : undefined;
    },
  };
}

/**
 * An operation checks all of its fields' windows for one client in one
 * script, so a client's windows share a hash tag (one slot in a Redis
 * Cluster; clients spread over the slots). Keys are `field|client`.
 */
function windowKey(prefix: string, key: string): string {
  const bar = key.indexOf('|');
  return bar < 0 ? `${prefix}ratelimit:{${key}}` : `${prefix}ratelimit:{${key.slice(bar + 1)}}:${key.slice(0, bar)}`;
}
