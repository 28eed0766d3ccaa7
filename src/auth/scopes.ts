import type { Principal } from './principal.js';
import type { Scope } from './scope-names.js';

export { isScope, SCOPES, type Scope } from './scope-names.js';
import { channelScope } from './scope-names.js';

/**
 * Scopes that come with another: `console` (the operators' console: its
 * pages, introspection in production, serverStatsUpdates) reads what the
 * console shows, which is what `stats:read` reads.
 */
const IMPLIED: Partial<Record<Scope, Scope>> = { 'stats:read': 'console' };

/**
 * The one place that says who holds a scope: the admin holds all of them;
 * (development-only) anonymous callers all but `ratelimit:bypass`, since
 * they are counted by address; gateways none; services and users what their
 * key or token grants, and what a granted scope implies.
 */
export function hasScope(principal: Principal, scope: Scope): boolean {
  switch (principal.kind) {
    case 'admin':
      return true;
    case 'anonymous':
      return scope !== 'ratelimit:bypass';
    case 'gateway':
      return false;
    case 'service':
    case 'user': {
      if (principal.scopes.has(scope)) return true;
      const by = IMPLIED[scope];
      return by !== undefined && principal.scopes.has(by);
    }
  }
}

/**
 * Which repositories a caller may read: every one (`'*'`) or a list. Users
 * read the repositories their token names; services need `tasks:read`.
 */
export function readableRepositories(principal: Principal): '*' | ReadonlySet<string> {
  switch (principal.kind) {
    case 'admin':
    case 'anonymous':
      return '*';
    case 'gateway':
      return new Set();
    case 'service':
      return principal.scopes.has('tasks:read') ? '*' : new Set();
    case 'user':
      return principal.repos;
  }
}

export function canReadRepository(principal: Principal, repository: string): boolean {
  const readable = readableRepositories(principal);
  return readable === '*' || readable.has(repository);
}

/**
 * Which channels a caller may read: the admin (and anonymous callers in
 * development) every one; a user the channels its token names (claim
 * `channels`) or grants (`channel:<name>:read`); a service what its key
 * grants; `channel:*:read` is every channel.
 */
export function canReadChannel(principal: Principal, channel: string): boolean {
  switch (principal.kind) {
    case 'admin':
    case 'anonymous':
      return true;
    case 'gateway':
      return false;
    case 'user':
      if (principal.channels === '*' || principal.channels.has(channel)) return true;
      return principal.scopes.has(channelScope(channel, 'read')) || principal.scopes.has(channelScope('*', 'read'));
    case 'service':
      return principal.scopes.has(channelScope(channel, 'read')) || principal.scopes.has(channelScope('*', 'read'));
  }
}

/** Whether the caller may read every channel, present and future: what `channel:*:read` grants. */
export function readsEveryChannel(principal: Principal): boolean {
  return canReadChannel(principal, '*');
}

/** Publishing needs `channel:<name>:publish` (or `channel:*:publish`); the admin may publish anywhere. */
export function canPublishChannel(principal: Principal, channel: string): boolean {
  return hasScope(principal, channelScope(channel, 'publish')) || hasScope(principal, channelScope('*', 'publish'));
}

/** Writing needs `tasks:write`; a user may write only where they may read. */
export function canWriteRepository(principal: Principal, repository: string): boolean {
  return hasScope(principal, 'tasks:write') && (principal.kind !== 'user' || canReadRepository(principal, repository));
}
