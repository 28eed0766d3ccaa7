import type { Principal } from './principal.js';
import { canReadChannel, canReadRepository, canWriteRepository, hasScope, readableRepositories, readsEveryChannel, type Scope } from './scopes.js';
import { HeraldError } from '../errors.js';
import type { TopicRequest } from '../events/input.js';
import { Topics } from '../events/topics.js';

/**
 * Checks that GraphQL field declarations cannot express (they depend on
 * arguments or on what a lookup finds), and the same rules for REST routes.
 * Who holds what is decided in auth/scopes.ts alone.
 */
export function requireScope(principal: Principal, scope: Scope): void {
  if (!hasScope(principal, scope)) throw new HeraldError('FORBIDDEN', `Not allowed: needs scope ${scope}`, { scope });
}

export function requireAdmin(principal: Principal): void {
  if (principal.kind !== 'admin' && principal.kind !== 'anonymous') throw new HeraldError('FORBIDDEN', 'Not allowed: needs admin rights');
}

export function requireRead(principal: Principal, repository: string): void {
  if (!canReadRepository(principal, repository)) {
    throw new HeraldError('FORBIDDEN', `Not allowed to read repository ${repository}`, { repository });
  }
}

export function requireWrite(principal: Principal, repository: string): void {
  if (!canWriteRepository(principal, repository)) {
    throw new HeraldError('FORBIDDEN', `Not allowed to change tasks of repository ${repository}`, { repository });
  }
}

/**
 * The repositories a subscription covers: "*" means every repository the
 * caller may read; naming one it may not read is an error, never a filter.
 */
export function subscribedRepositories(principal: Principal, requested: readonly string[]): '*' | string[] {
  if (requested.includes('*')) {
    const readable = readableRepositories(principal);
    if (readable === '*') return '*';
    if (readable.size === 0) throw new HeraldError('FORBIDDEN', 'Not allowed to read any repository');
    return [...readable];
  }
  for (const repository of requested) requireRead(principal, repository);
  return [...requested];
}

/** The log topics a caller may read for the topics asked for; refuses any it may not. */
export function readableTopics(principal: Principal, topics: readonly TopicRequest[]): string[] {
  const repos: string[] = [];
  const out: string[] = [];
  for (const { family, name } of topics) {
    if (family === 'repo') {
      repos.push(name);
      continue;
    }
    const topic = `${family}:${name}`;
    if (family === 'channel') {
      const allowed = name === '*' ? readsEveryChannel(principal) : canReadChannel(principal, name);
      if (!allowed) throw new HeraldError('FORBIDDEN', `Not allowed to read channel ${name}`, { topic });
      out.push(topic);
      continue;
    }
    const own = principal.kind === 'gateway' && principal.gatewayId === name;
    if (!own && !hasScope(principal, 'gateways:admin')) throw new HeraldError('FORBIDDEN', `Not allowed to read topic ${topic}`, { topic });
    out.push(topic);
  }
  if (repos.length > 0) {
    const covered = subscribedRepositories(principal, repos);
    out.push(...(covered === '*' ? [Topics.wildcard('repo')] : covered.map(Topics.repo)));
  }
  return out;
}
