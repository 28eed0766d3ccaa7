import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { z } from './zod.js';
import { loadChannelsFile } from './channels/file.js';
import type { ChannelDefinition } from './channels/model.js';
import type { JwtConfig } from './auth/jwt.js';
import type { PushSettings } from './push/worker.js';
import { loadRulesFile, type Rule } from './ratelimit/rules.js';
import { loadThresholdsFile, type ThresholdSettings } from './alerts/thresholds.js';
import type { RedisNode, RedisTopology } from './redis/topology.js';

/**
 * Every setting Herald reads, validated once at start. A bad value stops the
 * start with one line naming the variable and what it accepts.
 */

/**
 * Every number setting is a whole number. v4 refuses Infinity ("Infinity",
 * "1e400") as not a number; it has always been refused as not an integer.
 */
const envNumber = () => z.coerce.number({ error: (issue) => (typeof issue.input === 'number' && !Number.isNaN(issue.input) ? 'must be a integer' : undefined) });

const port = envNumber().int().min(0).max(65535);
const positiveInt = envNumber().int().positive();
/** One of `values`, named in the order written (zod v4 would list '1' and '0' first, as object keys go). */
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: `must be one of ${values.join(', ')}` });
const boolean = oneOf(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** host:port, host a name, an IPv4 address or a bracketed IPv6 address. */
const HOST_PORT = String.raw`(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}`;
const HOST_PORT_LIST = new RegExp(`^${HOST_PORT}(?:\\s*,\\s*${HOST_PORT})*$`);

const schema = z.object({
  NODE_ENV: oneOf(['development', 'production', 'test']).default('development'),
  PORT: port.default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  TLS_CERT_FILE: z.string().min(1).optional(),
  TLS_KEY_FILE: z.string().min(1).optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .optional(),
  REDIS_CLUSTER_NODES: z
    .string()
    .regex(HOST_PORT_LIST, 'must be a comma-separated list of host:port seed nodes, like redis-1:6379,redis-2:6379')
    .optional(),
  REDIS_SENTINELS: z
    .string()
    .regex(HOST_PORT_LIST, 'must be a comma-separated list of host:port sentinels, like sentinel-1:26379,sentinel-2:26379')
    .optional(),
  REDIS_SENTINEL_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be the name the sentinels monitor the primary by (1-64 characters of A-Z a-z 0-9 _ . -)')
    .optional(),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 : _ . -')
    .default('herald:'),
  HERALD_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  HERALD_INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ . -')
    .optional(),
  WS_MAX_CONNECTIONS: positiveInt.default(10000),
  WS_HEARTBEAT_INTERVAL_MS: positiveInt.default(20000),
  WS_HEARTBEAT_TIMEOUT_MS: positiveInt.default(30000),
  WS_RATE_LIMIT_PER_MINUTE: positiveInt.default(60),
  WS_AUTHENTICATED_RATE_LIMIT_PER_MINUTE: positiveInt.default(600),
  WS_MAX_PAYLOAD_BYTES: positiveInt.default(512 * 1024),
  WS_MAX_QUEUED_EVENTS: positiveInt.default(1000),
  WS_MAX_BUFFERED_BYTES: positiveInt.default(4 * 1024 * 1024),
  WS_PER_MESSAGE_DEFLATE: boolean.prefault('false'),
  WS_DEFLATE_THRESHOLD_BYTES: envNumber().int().min(0).default(1024),
  MIN_CLI_VERSION: z
    .string()
    .regex(/^\d+\.\d+\.\d+$/, 'must be a version like 1.2.3')
    .optional(),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(10000),
  WS_MAX_CONNECTIONS_PER_PRINCIPAL: positiveInt.default(100),
  WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: positiveInt.default(100),
  WS_CONNECTION_INIT_TIMEOUT_MS: positiveInt.default(3000),
  CORS_ORIGINS: z
    .string()
    .regex(/^(https?:\/\/[^\s,/]+)(,\s*https?:\/\/[^\s,/]+)*$/, 'must be a comma-separated list of origins like https://app.example.com')
    .optional(),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  JWT_PUBLIC_KEY: z
    .string()
    .transform((v) => v.replace(/\\n/g, '\n'))
    .refine((v) => /-----BEGIN PUBLIC KEY-----/.test(v), 'must be a PEM public key (-----BEGIN PUBLIC KEY-----)')
    .optional(),
  JWT_JWKS_URL: z.string().url('must be an http(s) URL').regex(/^https?:\/\//, 'must be an http(s) URL').optional(),
  JWT_ALGORITHMS: z
    .string()
    .regex(/^(HS256|HS384|HS512|RS256|RS384|RS512|PS256|ES256|ES384|EdDSA)(,(HS256|HS384|HS512|RS256|RS384|RS512|PS256|ES256|ES384|EdDSA))*$/, 'must be a comma-separated list of HS256, RS256, ES256, ...')
    .optional(),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  JWT_MAX_AGE_SECONDS: positiveInt.default(86400),
  CLUSTER_REPORT_INTERVAL_MS: positiveInt.default(2000),
  REVOCATION_CHECK_INTERVAL_MS: positiveInt.default(2000),
  EVENT_RETENTION_COUNT: positiveInt.default(10000),
  EVENT_RETENTION_SECONDS: positiveInt.default(86400),
  EVENT_DEDUP_WINDOW_SECONDS: positiveInt.default(600),
  EVENTS_MAX_TOPICS: positiveInt.default(100),
  MAX_TOPICS_PER_SUBSCRIPTION: positiveInt.default(100),
  GRAPHQL_MAX_DEPTH: positiveInt.default(10),
  GRAPHQL_MAX_ALIASES: positiveInt.default(15),
  GRAPHQL_MAX_DIRECTIVES: positiveInt.default(10),
  GRAPHQL_MAX_TOKENS: positiveInt.default(2000),
  GRAPHQL_MAX_COST: positiveInt.default(5000),
  GRAPHQL_DIRECT_POST: boolean.prefault('true'),
  PUSH_ALLOWED_HOSTS: z
    .string()
    .regex(/^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(,\s*([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]))*$/, 'must be a comma-separated list of host names, IPv4 addresses or [IPv6] addresses')
    .optional(),
  PUSH_ALLOW_HTTP: boolean.prefault('false'),
  PUSH_TIMEOUT_MS: positiveInt.default(5000),
  PUSH_RETRY_BASE_MS: positiveInt.default(500),
  PUSH_RETRY_MAX_MS: positiveInt.default(60000),
  PUSH_MAX_ATTEMPTS: positiveInt.default(8),
  PUSH_BREAKER_THRESHOLD: positiveInt.default(5),
  PUSH_BREAKER_OPEN_MS: positiveInt.default(30000),
  PUSH_HEALTH_INTERVAL_MS: positiveInt.default(30000),
  PUSH_ENDPOINT_EXPIRY_MS: positiveInt.default(600000),
  PUSH_LEADER_TTL_MS: positiveInt.default(10000),
  PUSH_MAX_REGISTRATIONS_PER_OWNER: positiveInt.default(10),
  GATEWAY_ACK_TIMEOUT_MS: positiveInt.default(30000),
  RATE_LIMITS_FILE: z.string().min(1).optional(),
  THRESHOLDS_FILE: z.string().min(1).optional(),
  ALERT_EVALUATION_INTERVAL_MS: envNumber().int().min(100).max(600000).default(5000),
  DIAGNOSTICS_RETENTION_SECONDS: envNumber().int().min(0).max(86400).default(600),
  CHANNELS_FILE: z.string().min(1).optional(),
  TRUST_PROXY: z
    .string()
    .regex(/^(true|false|\d{1,2})$/, 'must be false, true (one proxy) or the number of reverse proxies in front of Herald')
    .transform((v) => (v === 'true' ? 1 : v === 'false' ? 0 : Number(v)))
    .prefault('false'),
});

/** Every variable the schema reads, with its default as written in the environment (docs/configuration.md lists them). */
export const SETTINGS: readonly { readonly name: string; readonly default: string | undefined }[] = Object.entries(schema.shape).map(([name, type]) => ({
  name,
  // A prefault is a default written as the environment would (parsed like a set value); a default is the parsed value itself.
  default: type instanceof z.ZodDefault || type instanceof z.ZodPrefault ? String(type.def.defaultValue) : undefined,
}));

type Env = z.infer<typeof schema>;

/** How much one GraphQL operation may ask for (graphql-armor's limits). */
export type QueryLimits = {
  readonly maxDepth: number;
  readonly maxAliases: number;
  readonly maxDirectives: number;
  readonly maxTokens: number;
  readonly maxCost: number;
};

export type Config = {
  readonly mode: 'development' | 'production';
  readonly port: number;
  readonly host: string;
  /** Certificate chain and private key (PEM) when Herald serves HTTPS and WSS itself; null for plain HTTP. */
  readonly tls: { readonly cert: Buffer; readonly key: Buffer } | null;
  readonly redis: RedisSettings | null;
  readonly adminToken: string | undefined;
  readonly instanceId: string | undefined;
  readonly ws: {
    readonly maxConnections: number;
    readonly heartbeatIntervalMs: number;
    readonly heartbeatTimeoutMs: number;
    /** Connection attempts per address and minute that do not authenticate. */
    readonly rateLimitPerMinute: number;
    /** Authenticated connections per address and minute. */
    readonly authenticatedRateLimitPerMinute: number;
    readonly maxPayloadBytes: number;
    readonly maxQueuedEvents: number;
    readonly maxBufferedBytes: number;
    readonly maxConnectionsPerPrincipal: number;
    readonly maxSubscriptionsPerConnection: number;
    readonly connectionInitTimeoutMs: number;
    /** Compression offered to clients that ask for it: off, or on for messages of at least `thresholdBytes`. */
    readonly perMessageDeflate: false | { readonly thresholdBytes: number };
  };
  readonly minCliVersion: string | undefined;
  readonly logLevel: Env['LOG_LEVEL'];
  readonly shutdownTimeoutMs: number;
  readonly clusterReportIntervalMs: number;
  /** How often (Redis mode) an instance looks for revocations it may have missed. */
  readonly revocationCheckIntervalMs: number;
  readonly push: PushSettings;
  /** How long a gateway has to confirm an event before its deployment shows it as not confirmed. */
  readonly gatewayAckTimeoutMs: number;
  readonly queryLimits: QueryLimits;
  readonly events: {
    readonly retentionCount: number;
    readonly retentionSeconds: number;
    readonly dedupWindowSeconds: number;
    /** Topics one `events` read may name. */
    readonly maxReadTopics: number;
    /** Repositories one subscription may name. */
    readonly maxTopicsPerSubscription: number;
  };
  readonly jwt: JwtConfig | undefined;
  /** Browser origins allowed to connect and call; '*localhost*' stands for any local origin. */
  readonly corsOrigins: readonly string[];
  /** Channels from CHANNELS_FILE, over the built-in ones. */
  readonly channels: readonly ChannelDefinition[];
  /** Rate-limit rules from RATE_LIMITS_FILE, over the built-in defaults. */
  readonly rateLimits: Readonly<Record<string, Rule>>;
  /** Where they came from, to name it when a rule names a field the schema lacks (checked when the app is built). */
  readonly rateLimitsFile: string | undefined;
  /** How many reverse proxies' X-Forwarded-For entries to believe. */
  readonly trustProxy: number;
  /** Alert thresholds from THRESHOLDS_FILE over the built-in ones, and how often they are checked. */
  readonly thresholds: { readonly file: Readonly<Record<string, ThresholdSettings>>; readonly intervalMs: number };
  /** How long a closed connection's diagnostics stay readable. */
  readonly diagnosticsRetentionSeconds: number;
  /**
   * Query limits, rate limits and HTTP rules. Not a setting: only code that
   * measures their cost (benchmarks) builds a config with this off.
   */
  readonly protection: boolean;
  /** Plain JSON GraphQL POSTs skip Yoga's Fetch API layer (transport/graphql-post.ts). */
  readonly directPost: boolean;
};

export type RedisSettings = { readonly topology: RedisTopology; readonly keyPrefix: string };

/** Stands in CORS_ORIGINS' default for "any http(s) origin on localhost, 127.0.0.1 or [::1]". */
export const LOCAL_ORIGINS = 'local';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads the configuration from an environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set", as in most shells' `FOO= cmd`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0]);
    // Secrets and URLs that may carry passwords are named, never echoed.
    const shown = /TOKEN|SECRET|PASSWORD|KEY$|REDIS_URL/.test(name) ? name : `${name}=${JSON.stringify(env[name])}`;
    throw new ConfigError(`Invalid configuration: ${shown} ${describe(issue)}`);
  }
  const e = parsed.data;
  const mode = e.NODE_ENV === 'production' ? 'production' : 'development';
  checkRedisChoice(e);
  if (mode === 'production' && !e.HERALD_ADMIN_TOKEN) {
    throw new ConfigError('Invalid configuration: HERALD_ADMIN_TOKEN is required when NODE_ENV=production');
  }
  return {
    mode,
    port: e.PORT,
    host: e.HOST,
    tls: tlsFrom(e.TLS_CERT_FILE, e.TLS_KEY_FILE),
    redis: redisFrom(e),
    adminToken: e.HERALD_ADMIN_TOKEN,
    instanceId: e.HERALD_INSTANCE_ID,
    ws: {
      maxConnections: e.WS_MAX_CONNECTIONS,
      heartbeatIntervalMs: e.WS_HEARTBEAT_INTERVAL_MS,
      heartbeatTimeoutMs: e.WS_HEARTBEAT_TIMEOUT_MS,
      rateLimitPerMinute: e.WS_RATE_LIMIT_PER_MINUTE,
      authenticatedRateLimitPerMinute: e.WS_AUTHENTICATED_RATE_LIMIT_PER_MINUTE,
      maxPayloadBytes: e.WS_MAX_PAYLOAD_BYTES,
      maxQueuedEvents: e.WS_MAX_QUEUED_EVENTS,
      maxBufferedBytes: e.WS_MAX_BUFFERED_BYTES,
      maxConnectionsPerPrincipal: e.WS_MAX_CONNECTIONS_PER_PRINCIPAL,
      maxSubscriptionsPerConnection: e.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
      connectionInitTimeoutMs: e.WS_CONNECTION_INIT_TIMEOUT_MS,
      perMessageDeflate: e.WS_PER_MESSAGE_DEFLATE && { thresholdBytes: e.WS_DEFLATE_THRESHOLD_BYTES },
    },
    minCliVersion: e.MIN_CLI_VERSION,
    logLevel: e.LOG_LEVEL,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    clusterReportIntervalMs: e.CLUSTER_REPORT_INTERVAL_MS,
    revocationCheckIntervalMs: e.REVOCATION_CHECK_INTERVAL_MS,
    gatewayAckTimeoutMs: e.GATEWAY_ACK_TIMEOUT_MS,
    queryLimits: {
      maxDepth: e.GRAPHQL_MAX_DEPTH,
      maxAliases: e.GRAPHQL_MAX_ALIASES,
      maxDirectives: e.GRAPHQL_MAX_DIRECTIVES,
      maxTokens: e.GRAPHQL_MAX_TOKENS,
      maxCost: e.GRAPHQL_MAX_COST,
    },
    push: {
      timeoutMs: e.PUSH_TIMEOUT_MS,
      retry: { baseMs: e.PUSH_RETRY_BASE_MS, maxMs: e.PUSH_RETRY_MAX_MS, maxAttempts: e.PUSH_MAX_ATTEMPTS },
      breaker: { failureThreshold: e.PUSH_BREAKER_THRESHOLD, openMs: e.PUSH_BREAKER_OPEN_MS },
      urlPolicy: {
        allowedHosts: e.PUSH_ALLOWED_HOSTS ? e.PUSH_ALLOWED_HOSTS.split(',').map((h) => h.trim()) : [],
        allowHttp: e.PUSH_ALLOW_HTTP,
        // A developer's CLI listens on their own machine; a production server's loopback is its own.
        allowLoopback: mode === 'development',
      },
      healthIntervalMs: e.PUSH_HEALTH_INTERVAL_MS,
      endpointExpiryMs: e.PUSH_ENDPOINT_EXPIRY_MS,
      leaderTtlMs: e.PUSH_LEADER_TTL_MS,
      maxRegistrationsPerOwner: e.PUSH_MAX_REGISTRATIONS_PER_OWNER,
    },
    events: {
      retentionCount: e.EVENT_RETENTION_COUNT,
      retentionSeconds: e.EVENT_RETENTION_SECONDS,
      dedupWindowSeconds: e.EVENT_DEDUP_WINDOW_SECONDS,
      maxReadTopics: e.EVENTS_MAX_TOPICS,
      maxTopicsPerSubscription: e.MAX_TOPICS_PER_SUBSCRIPTION,
    },
    jwt: jwtConfig(e, mode),
    corsOrigins: e.CORS_ORIGINS ? e.CORS_ORIGINS.split(',').map((o) => o.trim()) : mode === 'production' ? [] : [LOCAL_ORIGINS],
    rateLimits: e.RATE_LIMITS_FILE ? rulesFrom(e.RATE_LIMITS_FILE) : {},
    rateLimitsFile: e.RATE_LIMITS_FILE,
    channels: e.CHANNELS_FILE ? channelsFrom(e.CHANNELS_FILE) : [],
    trustProxy: e.TRUST_PROXY,
    thresholds: { file: e.THRESHOLDS_FILE ? thresholdsFrom(e.THRESHOLDS_FILE) : {}, intervalMs: e.ALERT_EVALUATION_INTERVAL_MS },
    diagnosticsRetentionSeconds: e.DIAGNOSTICS_RETENTION_SECONDS,
    protection: true,
    directPost: e.GRAPHQL_DIRECT_POST,
  };
}

/**
 * Reads and checks the certificate and key at start, so that a wrong path, a
 * file that is not PEM or a key of another certificate stops the start with
 * one line, instead of failing every client's handshake later.
 */
function tlsFrom(certFile: string | undefined, keyFile: string | undefined): Config['tls'] {
  if (!certFile && !keyFile) return null;
  if (!certFile || !keyFile) {
    const [set, missing] = certFile ? ['TLS_CERT_FILE', 'TLS_KEY_FILE'] : ['TLS_KEY_FILE', 'TLS_CERT_FILE'];
    throw new ConfigError(`Invalid configuration: ${missing} is required with ${set} (set both, or neither for plain HTTP)`);
  }
  const cert = readPem('TLS_CERT_FILE', certFile);
  const key = readPem('TLS_KEY_FILE', keyFile);
  let certificate: X509Certificate;
  try {
    if (!cert.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no certificate');
    certificate = new X509Certificate(cert);
  } catch {
    throw new ConfigError(`Invalid configuration: TLS_CERT_FILE=${JSON.stringify(certFile)} is not a PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  let privateKey;
  try {
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.toString('latin1'))) throw new Error('no key');
    privateKey = createPrivateKey(key);
  } catch {
    throw new ConfigError(`Invalid configuration: TLS_KEY_FILE=${JSON.stringify(keyFile)} is not an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----)`);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new ConfigError(`Invalid configuration: TLS_KEY_FILE=${JSON.stringify(keyFile)} is not the key of the certificate in TLS_CERT_FILE`);
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new ConfigError(`Invalid configuration: TLS_CERT_FILE and TLS_KEY_FILE are refused by TLS: ${(err as Error).message}`);
  }
  return { cert, key };
}

function readPem(name: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`Invalid configuration: ${name}=${JSON.stringify(path)} cannot be read (${code ?? (err as Error).message})`);
  }
}

function channelsFrom(path: string): ChannelDefinition[] {
  try {
    return loadChannelsFile(path);
  } catch (err) {
    throw new ConfigError(`Invalid configuration: ${(err as Error).message}`);
  }
}

function rulesFrom(path: string): Record<string, Rule> {
  try {
    return loadRulesFile(path);
  } catch (err) {
    throw new ConfigError(`Invalid configuration: ${(err as Error).message}`);
  }
}

function thresholdsFrom(path: string): Record<string, ThresholdSettings> {
  try {
    return loadThresholdsFile(path);
  } catch (err) {
    throw new ConfigError(`Invalid configuration: ${(err as Error).message}`);
  }
}

function jwtConfig(e: Env, mode: Config['mode']): JwtConfig | undefined {
  const keys = [e.JWT_SECRET && 'JWT_SECRET', e.JWT_PUBLIC_KEY && 'JWT_PUBLIC_KEY', e.JWT_JWKS_URL && 'JWT_JWKS_URL'].filter(Boolean);
  if (keys.length > 1) throw new ConfigError(`Invalid configuration: set only one of ${keys.join(', ')}`);
  const key: JwtConfig['key'] | undefined = e.JWT_SECRET
    ? { kind: 'secret', secret: e.JWT_SECRET }
    : e.JWT_PUBLIC_KEY
      ? { kind: 'publicKey', pem: e.JWT_PUBLIC_KEY }
      : e.JWT_JWKS_URL
        ? { kind: 'jwks', url: e.JWT_JWKS_URL }
        : undefined;
  if (!key) {
    if (e.JWT_ALGORITHMS || e.JWT_ISSUER || e.JWT_AUDIENCE) throw new ConfigError('Invalid configuration: JWT_* settings need JWT_SECRET, JWT_PUBLIC_KEY or JWT_JWKS_URL');
    return undefined;
  }
  if (key.kind === 'jwks' && mode === 'production') {
    // Keys fetched over plain http could be swapped on the way; a provider's key set verifies its other clients' tokens too.
    if (!/^https:\/\//i.test(key.url)) throw new ConfigError('Invalid configuration: JWT_JWKS_URL must be an https URL when NODE_ENV=production');
    if (!e.JWT_AUDIENCE) throw new ConfigError('Invalid configuration: JWT_AUDIENCE is required with JWT_JWKS_URL when NODE_ENV=production');
  }
  const algorithms = e.JWT_ALGORITHMS?.split(',') ?? (key.kind === 'secret' ? ['HS256'] : ['RS256', 'ES256']);
  // A shared secret must never verify an asymmetric algorithm's token, nor the reverse.
  const symmetric = algorithms.filter((a) => a.startsWith('HS'));
  if (key.kind === 'secret' ? symmetric.length !== algorithms.length : symmetric.length > 0) {
    throw new ConfigError(`Invalid configuration: JWT_ALGORITHMS=${JSON.stringify(e.JWT_ALGORITHMS)} does not fit the key (${key.kind === 'secret' ? 'HS* only with JWT_SECRET' : 'no HS* with a public key'})`);
  }
  return { key, algorithms, issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE, maxAgeSeconds: e.JWT_MAX_AGE_SECONDS };
}

function describe(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_value':
      return issue.message;
    case 'invalid_type':
      if (issue.message.startsWith('must ')) return issue.message;
      return `must be a ${issue.expected === 'int' ? 'integer' : issue.expected}`;
    case 'too_small':
      if (issue.origin !== 'number') return issue.message;
      return issue.inclusive ? `must be at least ${issue.minimum}` : `must be greater than ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'number' ? `must be at most ${issue.maximum}` : issue.message;
    default:
      return issue.message === 'Invalid input' ? 'is not valid' : issue.message;
  }
}

/** One topology at a time: two settings naming different Redis deployments would split the instances' state. */
function checkRedisChoice(e: Env) {
  const chosen = (['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'] as const).filter((name) => e[name] !== undefined);
  if (chosen.length > 1) throw new ConfigError(`Invalid configuration: ${chosen.join(' and ')} are both set; set only one of REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINELS`);
  if (e.REDIS_SENTINELS && !e.REDIS_SENTINEL_NAME) throw new ConfigError('Invalid configuration: REDIS_SENTINEL_NAME is required with REDIS_SENTINELS (the name the sentinels monitor the primary by)');
  if (e.REDIS_SENTINEL_NAME && !e.REDIS_SENTINELS) throw new ConfigError('Invalid configuration: REDIS_SENTINEL_NAME is set without REDIS_SENTINELS');
}

function redisFrom(e: Env): RedisSettings | null {
  const keyPrefix = e.REDIS_KEY_PREFIX;
  if (e.REDIS_URL) return { topology: { kind: 'single', url: e.REDIS_URL }, keyPrefix };
  if (e.REDIS_CLUSTER_NODES) return { topology: { kind: 'cluster', nodes: nodesOf('REDIS_CLUSTER_NODES', e.REDIS_CLUSTER_NODES) }, keyPrefix };
  if (e.REDIS_SENTINELS) return { topology: { kind: 'sentinel', sentinels: nodesOf('REDIS_SENTINELS', e.REDIS_SENTINELS), name: e.REDIS_SENTINEL_NAME! }, keyPrefix };
  return null;
}

/** Already matched by HOST_PORT_LIST. */
function nodesOf(name: string, list: string): RedisNode[] {
  return list.split(',').map((entry) => {
    const text = entry.trim();
    const colon = text.lastIndexOf(':');
    const port = Number(text.slice(colon + 1));
    if (port < 1 || port > 65535) throw new ConfigError(`Invalid configuration: ${name}=${JSON.stringify(list)} names port ${port}; ports are 1-65535`);
    return { host: text.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port };
  });
}
