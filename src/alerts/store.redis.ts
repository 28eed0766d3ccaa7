import type { Redis } from 'ioredis';
import { call, type RedisConnections } from '../redis/connections.js';
import type { Alert, AlertSeverity, AlertStatus } from './model.js';
import { matches, type AlertStore } from './store.js';

// Each alert is a hash: what never changes as JSON (`base`, written once,
// never decoded in Redis, so any JSON in `details` stays exactly as given),
// and each field that changes on its own. Every key carries the hash tag
// {alerts}, so one script may touch them all wherever they live.

// KEYS: the open-dedup hash, the id set. ARGV: key prefix, dedup field or '', id, base, raisedAt.
// Returns {repeated (0/1), the alert's hash as a flat list}.
const RAISE = `
local prefix, field = ARGV[1], ARGV[2]
if field ~= '' then
  local id = redis.call('HGET', KEYS[1], field)
  if id and redis.call('EXISTS', prefix .. id) == 1 then
    redis.call('HINCRBY', prefix .. id, 'count', 1)
    redis.call('HSET', prefix .. id, 'lastRaisedAt', ARGV[5])
    return {1, redis.call('HGETALL', prefix .. id)}
  end
end
local key = prefix .. ARGV[3]
redis.call('HSET', key, 'base', ARGV[4], 'status', 'OPEN', 'count', 1, 'lastRaisedAt', ARGV[5], 'dedup', field)
redis.call('ZADD', KEYS[2], 0, ARGV[3])
if field ~= '' then redis.call('HSET', KEYS[1], field, ARGV[3]) end
return {0, redis.call('HGETALL', key)}
`;

// KEYS: the alert, the open-dedup hash. ARGV: new status, the status it must not have yet, by, note, at.
// Returns nil for no such alert, else {changed (0/1), the alert's hash as a flat list}.
const CHANGE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local status = redis.call('HGET', KEYS[1], 'status')
local changed = 0
if ARGV[1] == 'ACKNOWLEDGED' and status == 'OPEN' then
  redis.call('HSET', KEYS[1], 'status', 'ACKNOWLEDGED', 'acknowledgedBy', ARGV[2], 'acknowledgeNote', ARGV[3], 'acknowledgedAt', ARGV[4])
  changed = 1
elseif ARGV[1] == 'RESOLVED' and status ~= 'RESOLVED' then
  redis.call('HSET', KEYS[1], 'status', 'RESOLVED', 'resolvedBy', ARGV[2], 'resolveNote', ARGV[3], 'resolvedAt', ARGV[4])
  local field = redis.call('HGET', KEYS[1], 'dedup')
  if field and field ~= '' and redis.call('HGET', KEYS[2], field) == string.match(KEYS[1], '[^:]+$') then redis.call('HDEL', KEYS[2], field) end
  changed = 1
end
return {changed, redis.call('HGETALL', KEYS[1])}
`;

type Scripts = {
  heraldAlertRaise(open: string, ids: string, prefix: string, field: string, id: string, base: string, at: string): Promise<[number, string[]]>;
  heraldAlertChange(key: string, open: string, status: string, by: string, note: string, at: string): Promise<[number, string[]] | null>;
};

type Base = Pick<Alert, 'id' | 'channel' | 'severity' | 'title' | 'details' | 'source' | 'dedupKey' | 'raisedAt' | 'raisedBy'>;

/** Reads a page of ids at a time, newest first, until the page is full or the ids run out. */
const SCAN = 200;

export function createRedisAlertStore(redis: RedisConnections): AlertStore {
  const client = redis.command as Redis & Scripts;
  client.defineCommand('heraldAlertRaise', { numberOfKeys: 2, lua: RAISE });
  client.defineCommand('heraldAlertChange', { numberOfKeys: 2, lua: CHANGE });
  const prefix = `${redis.keyPrefix}{alerts}:alert:`;
  const open = `${redis.keyPrefix}{alerts}:open`;
  const ids = `${redis.keyPrefix}{alerts}:ids`;

  const change = (id: string, status: AlertStatus, by: string, note: string | null, at: string) =>
    call(async () => {
      const reply = await client.heraldAlertChange(prefix + id, open, status, by, note ?? '', at);
      return reply === null ? null : { changed: reply[0] === 1, alert: fromHash(reply[1]) };
    });

  return {
    raise: (candidate) =>
      call(async () => {
        const base: Base = {
          id: candidate.id,
          channel: candidate.channel,
          severity: candidate.severity,
          title: candidate.title,
          details: candidate.details,
          source: candidate.source,
          dedupKey: candidate.dedupKey,
          raisedAt: candidate.raisedAt,
          raisedBy: candidate.raisedBy,
        };
        const field = candidate.dedupKey === null ? '' : `${candidate.channel}\u0000${candidate.dedupKey}`;
        const [repeated, hash] = await client.heraldAlertRaise(open, ids, prefix, field, candidate.id, JSON.stringify(base), candidate.raisedAt);
        return { alert: fromHash(hash), changed: true, repeated: repeated === 1 };
      }),
    acknowledge: (id, by, note, at) => change(id, 'ACKNOWLEDGED', by, note, at),
    resolve: (id, by, note, at) => change(id, 'RESOLVED', by, note, at),
    get: (id) =>
      call(async () => {
        const hash = await client.hgetall(prefix + id);
        return hash.base === undefined ? null : fromRecord(hash);
      }),
    list: (query) =>
      call(async () => {
        const found: Alert[] = [];
        let upper = query.after === null ? '+' : `(${query.after}`;
        while (found.length < query.first) {
          const page = await client.zrevrangebylex(ids, upper, '-', 'LIMIT', 0, SCAN);
          if (page.length === 0) break;
          const pipeline = client.pipeline();
          for (const id of page) pipeline.hgetall(prefix + id);
          for (const [err, hash] of (await pipeline.exec()) ?? []) {
            if (err) throw err;
            const record = hash as Record<string, string>;
            if (record.base === undefined) continue;
            const alert = fromRecord(record);
            if (matches(alert, { ...query, after: null }) && found.length < query.first) found.push(alert);
          }
          upper = `(${page[page.length - 1]}`;
        }
        return found;
      }),
  };
}

function fromHash(flat: string[]): Alert {
  const record: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) record[flat[i]!] = flat[i + 1]!;
  return fromRecord(record);
}

const orNull = (value: string | undefined) => (value === undefined || value === '' ? null : value);

function fromRecord(record: Record<string, string>): Alert {
  const base = JSON.parse(record.base!) as Base;
  return {
    ...base,
    severity: base.severity as AlertSeverity,
    status: record.status as AlertStatus,
    count: Number(record.count),
    lastRaisedAt: record.lastRaisedAt!,
    acknowledgedAt: orNull(record.acknowledgedAt),
    acknowledgedBy: orNull(record.acknowledgedBy),
    acknowledgeNote: orNull(record.acknowledgeNote),
    resolvedAt: orNull(record.resolvedAt),
    resolvedBy: orNull(record.resolvedBy),
    resolveNote: orNull(record.resolveNote),
  };
}
