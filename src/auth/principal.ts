import type { Scope } from './scope-names.js';

/**
 * Who is calling. Code that switches on `kind` fails to compile until it
 * handles every kind, so a new kind cannot slip through unauthorized.
 */
export type Principal =
  | { readonly kind: 'admin'; readonly id: 'admin' }
  | { readonly kind: 'anonymous'; readonly id: 'anonymous' }
  | { readonly kind: 'gateway'; readonly id: string; readonly gatewayId: string; readonly keyId: string }
  | { readonly kind: 'service'; readonly id: string; readonly keyId: string; readonly name: string; readonly scopes: ReadonlySet<Scope> }
  | {
      readonly kind: 'user';
      readonly id: string;
      readonly subject: string;
      readonly scopes: ReadonlySet<Scope>;
      readonly repos: '*' | ReadonlySet<string>;
      /** The channels the token names (claim `channels`): read access, like `repos`. */
      readonly channels: '*' | ReadonlySet<string>;
      /** When the token expires (epoch ms); the connection closes then. */
      readonly expiresAt: number | null;
    };

export type PrincipalKind = Principal['kind'];

/** Every kind, for filters and metrics. */
export const PRINCIPAL_KINDS = ['admin', 'anonymous', 'gateway', 'service', 'user'] as const satisfies readonly PrincipalKind[];
// Fails to compile when a kind is missing from the list.
export const ALL_KINDS_LISTED: [Exclude<PrincipalKind, (typeof PRINCIPAL_KINDS)[number]>] extends [never] ? true : never = true;

export const ADMIN: Principal = Object.freeze({ kind: 'admin', id: 'admin' });
export const ANONYMOUS: Principal = Object.freeze({ kind: 'anonymous', id: 'anonymous' });

export const gatewayPrincipalId = (gatewayId: string) => `gateway:${gatewayId}`;
export const servicePrincipalId = (keyId: string) => `key:${keyId}`;

export const gatewayPrincipal = (gatewayId: string, keyId: string): Principal =>
  Object.freeze({ kind: 'gateway', id: gatewayPrincipalId(gatewayId), gatewayId, keyId });

/**
 * Why a credential was refused. `revoked` and `expired` are retryable for
 * clients (a new key or token may come); `missing` and `invalid` are not.
 */
export type RefusalReason = 'missing' | 'invalid' | 'revoked' | 'expired';

/** The outcome of checking a credential: a principal, or a reason it was refused. */
export type Authentication =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly reason: RefusalReason; readonly detail?: string; readonly principalId?: string };
