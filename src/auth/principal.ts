/**
 * Who is calling. Code that switches on `kind` fails to compile until it
 * handles every kind, so a new kind cannot slip through unauthorized.
 */
export type Principal =
  | { readonly kind: 'admin'; readonly id: 'admin' }
  | { readonly kind: 'anonymous'; readonly id: 'anonymous' }
  | { readonly kind: 'gateway'; readonly id: string; readonly gatewayId: string; readonly keyId: string };

export type PrincipalKind = Principal['kind'];

export const ADMIN: Principal = Object.freeze({ kind: 'admin', id: 'admin' });
export const ANONYMOUS: Principal = Object.freeze({ kind: 'anonymous', id: 'anonymous' });

export const gatewayPrincipal = (gatewayId: string, keyId: string): Principal =>
  Object.freeze({ kind: 'gateway', id: `gateway:${gatewayId}`, gatewayId, keyId });

/** Why a credential was refused: `revoked` is retryable for clients (a new key may come), the others are not. */
export type RefusalReason = 'missing' | 'invalid' | 'revoked';

/** The outcome of checking a credential: a principal, or a reason it was refused. */
export type Authentication =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly reason: RefusalReason; readonly gatewayId?: string };
