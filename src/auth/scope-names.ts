/** What a service key or a user token may be granted, beside the per-channel scopes. */
export const SCOPES = [
  'tasks:read',
  'tasks:write',
  'deploy:write',
  'gateways:admin',
  'stats:read',
  'cli:register',
  'ratelimit:bypass',
  'alerts:ack',
  'console',
] as const;

/** A channel's name, or `*` for every channel. */
export const CHANNEL_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const CHANNEL_NAME_RULE = 'must be 1-64 characters of a-z 0-9 . _ - starting with a letter or digit';

/** `channel:<name>:read` / `channel:<name>:publish`, `channel:*:read` / `channel:*:publish` for every channel. */
export type ChannelScope = `channel:${string}:read` | `channel:${string}:publish`;

export type Scope = (typeof SCOPES)[number] | ChannelScope;

const CHANNEL_SCOPE = new RegExp(`^channel:(${CHANNEL_NAME_PATTERN.source.slice(1, -1)}|\\*):(read|publish)$`);

export const isScope = (value: string): value is Scope => (SCOPES as readonly string[]).includes(value) || CHANNEL_SCOPE.test(value);

export const channelScope = (name: string, action: 'read' | 'publish'): ChannelScope => `channel:${name}:${action}`;
