import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('uses the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      mode: 'development',
      port: 4000,
      host: '127.0.0.1',
      redis: null,
      ws: { heartbeatIntervalMs: 20000, heartbeatTimeoutMs: 30000, maxConnections: 10000, maxPayloadBytes: 512 * 1024 },
    });
  });

  it.each([
    [{ PORT: 'abc' }, /^Invalid configuration: PORT="abc" must be a number/],
    [{ PORT: '70000' }, /^Invalid configuration: PORT="70000" must be at most 65535/],
    [{ REDIS_URL: 'localhost:6379' }, /^Invalid configuration: REDIS_URL must start with redis:\/\//],
    [{ LOG_LEVEL: 'loud' }, /^Invalid configuration: LOG_LEVEL="loud" must be one of fatal, error/],
    [{ NODE_ENV: 'staging' }, /^Invalid configuration: NODE_ENV="staging" must be one of development, production, test/],
    [{ WS_HEARTBEAT_INTERVAL_MS: '0' }, /^Invalid configuration: WS_HEARTBEAT_INTERVAL_MS="0" must be greater than 0/],
    [{ HERALD_ADMIN_TOKEN: 'short' }, /^Invalid configuration: HERALD_ADMIN_TOKEN must be at least 16 characters$/],
  ])('refuses %o with one line naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('refuses production without an admin token', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/HERALD_ADMIN_TOKEN is required when NODE_ENV=production/);
  });

  it('refuses, in production, a JWKS URL over plain http or without JWT_AUDIENCE', () => {
    const prod = { NODE_ENV: 'production', HERALD_ADMIN_TOKEN: 'an-admin-token-of-some-length' };
    expect(() => loadConfig({ ...prod, JWT_JWKS_URL: 'http://id.example.com/jwks.json', JWT_AUDIENCE: 'herald' })).toThrow(
      /^Invalid configuration: JWT_JWKS_URL must be an https URL when NODE_ENV=production$/,
    );
    expect(() => loadConfig({ ...prod, JWT_JWKS_URL: 'https://id.example.com/jwks.json' })).toThrow(
      /^Invalid configuration: JWT_AUDIENCE is required with JWT_JWKS_URL when NODE_ENV=production$/,
    );
    expect(loadConfig({ ...prod, JWT_JWKS_URL: 'https://id.example.com/jwks.json', JWT_AUDIENCE: 'herald' }).jwt).toMatchObject({ audience: 'herald', maxAgeSeconds: 86400 });
    // Development keeps local set-ups simple.
    expect(loadConfig({ JWT_JWKS_URL: 'http://127.0.0.1:9999/jwks.json' }).jwt).toMatchObject({ key: { kind: 'jwks' }, audience: undefined });
  });

  it('refuses a JWT_MAX_AGE_SECONDS that is not a positive number of seconds', () => {
    expect(() => loadConfig({ JWT_SECRET: 'x'.repeat(32), JWT_MAX_AGE_SECONDS: '0' })).toThrow(/^Invalid configuration: JWT_MAX_AGE_SECONDS="0" must be greater than 0/);
    expect(loadConfig({ JWT_SECRET: 'x'.repeat(32), JWT_MAX_AGE_SECONDS: '3600' }).jwt?.maxAgeSeconds).toBe(3600);
  });

  it('reads Redis settings when REDIS_URL is set', () => {
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6380', REDIS_KEY_PREFIX: 'a:' }).redis).toEqual({
      topology: { kind: 'single', url: 'redis://127.0.0.1:6380' },
      keyPrefix: 'a:',
    });
  });

  it('reads a Redis Cluster seed list and a Sentinel set', () => {
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'redis-1:6379, 10.0.0.2:7000,[::1]:7001' }).redis).toEqual({
      topology: { kind: 'cluster', nodes: [{ host: 'redis-1', port: 6379 }, { host: '10.0.0.2', port: 7000 }, { host: '::1', port: 7001 }] },
      keyPrefix: 'herald:',
    });
    expect(loadConfig({ REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_NAME: 'mymaster' }).redis).toEqual({
      topology: { kind: 'sentinel', sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }], name: 'mymaster' },
      keyPrefix: 'herald:',
    });
  });

  it.each([
    [{ REDIS_CLUSTER_NODES: 'redis-1' }, /^Invalid configuration: REDIS_CLUSTER_NODES="redis-1" must be a comma-separated list of host:port/],
    [{ REDIS_CLUSTER_NODES: 'redis-1:6379,' }, /^Invalid configuration: REDIS_CLUSTER_NODES="redis-1:6379," must be/],
    [{ REDIS_CLUSTER_NODES: 'redis-1:70000' }, /^Invalid configuration: REDIS_CLUSTER_NODES="redis-1:70000" names port 70000; ports are 1-65535$/],
    [{ REDIS_SENTINELS: 'redis://s1:26379', REDIS_SENTINEL_NAME: 'm' }, /^Invalid configuration: REDIS_SENTINELS="redis:\/\/s1:26379" must be/],
    [{ REDIS_SENTINEL_NAME: 'm' }, /^Invalid configuration: REDIS_SENTINEL_NAME is set without REDIS_SENTINELS$/],
    [{ REDIS_CLUSTER_NODES: 'a:1', REDIS_SENTINELS: 'b:2', REDIS_SENTINEL_NAME: 'm' }, /^Invalid configuration: REDIS_CLUSTER_NODES and REDIS_SENTINELS are both set/],
  ])('refuses Redis settings %o with one line naming the variable', (env, line) => {
    expect(() => loadConfig(env)).toThrow(line);
  });
});
