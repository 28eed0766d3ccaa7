import type { Principal } from './principal.js';
import type { Scope } from './scope-names.js';

export { isScope, SCOPES, type Scope } from './scope-names.js';

/**
 * The one place that says who holds a scope: the admin holds all of them;
 * (development-only) anonymous callers all but `ratelimit:bypass`, since
 * they are counted by address; gateways none; services and users what their
 * key or token grants.
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
    case 'user':
      return principal.scopes.has(scope);
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

/** Writing needs `tasks:write`; a user may write only where they may read. */
export function canWriteRepository(principal: Principal, repository: string): boolean {
  return hasScope(principal, 'tasks:write') && (principal.kind !== 'user' || canReadRepository(principal, repository));
}
