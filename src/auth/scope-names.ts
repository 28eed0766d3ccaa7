import { CHANNEL_NAME_PATTERN } from '../events/topics.js';

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

/** `channel:<name>:read` / `channel:<name>:publish`, `channel:*:read` / `channel:*:publish` for every channel. */
export type ChannelScope = `channel:${string}:read` | `channel:${string}:publish`;

export type Scope = (typeof SCOPES)[number] | ChannelScope;

const CHANNEL_SCOPE = new RegExp(`^channel:(${CHANNEL_NAME_PATTERN.source.slice(1, -1)}|\\*):(read|publish)$`);

export const isScope = (value: string): value is Scope => (SCOPES as readonly string[]).includes(value) || CHANNEL_SCOPE.test(value);

export const channelScope = (name: string, action: 'read' | 'publish'): ChannelScope => `channel:${name}:${action}`;
