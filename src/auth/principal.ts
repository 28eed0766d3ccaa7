/**
 * Who is calling. Later kinds (API keys, JWT users, gateways) join this union;
 * code that switches on `kind` then fails to compile until it handles them.
 */
export type Principal =
  | { readonly kind: 'admin'; readonly id: 'admin' }
  | { readonly kind: 'anonymous'; readonly id: 'anonymous' };

export const ADMIN: Principal = Object.freeze({ kind: 'admin', id: 'admin' });
export const ANONYMOUS: Principal = Object.freeze({ kind: 'anonymous', id: 'anonymous' });

/** The outcome of checking a credential: a principal, or a reason it was refused. */
export type Authentication =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly reason: 'missing' | 'invalid' };
