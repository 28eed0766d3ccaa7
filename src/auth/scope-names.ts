/** What a service key or a user token may be granted. */
export const SCOPES = [
  'tasks:read',
  'tasks:write',
  'deploy:write',
  'gateways:admin',
  'stats:read',
  'cli:register',
  'ratelimit:bypass',
] as const;

export type Scope = (typeof SCOPES)[number];

export const isScope = (value: string): value is Scope => (SCOPES as readonly string[]).includes(value);
