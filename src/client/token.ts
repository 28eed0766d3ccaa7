/**
 * The credential the client sends: a fixed token, or one fetched from
 * `getToken()` and fetched again when the server says it expired or was
 * revoked (4403, HTTP 401/403), or when a JWT is about to expire.
 */
export type TokenSource = {
  /** The token to send now (null: none). */
  current(): Promise<string | null>;
  /** Forgets the token so the next `current()` fetches a fresh one; false when there is nothing to refresh. */
  invalidate(): boolean;
  readonly refreshable: boolean;
};

/** Refresh a JWT this long before its `exp`. */
const EXPIRY_MARGIN_MS = 30_000;

export function createTokenSource(token: string | null | undefined, getToken: (() => string | null | undefined | Promise<string | null | undefined>) | undefined): TokenSource {
  let cached: string | null | undefined = getToken ? undefined : (token ?? null);
  let pending: Promise<string | null> | undefined;
  const fetchFresh = () =>
    (pending ??= (async () => {
      try {
        cached = (await getToken!()) ?? null;
        return cached;
      } finally {
        pending = undefined;
      }
    })());
  return {
    refreshable: getToken !== undefined,
    async current() {
      if (!getToken) return cached ?? null;
      if (cached === undefined) return fetchFresh();
      const exp = cached ? jwtExpiry(cached) : undefined;
      if (exp !== undefined && exp - Date.now() < EXPIRY_MARGIN_MS) return fetchFresh();
      return cached;
    },
    invalidate() {
      if (!getToken) return false;
      cached = undefined;
      return true;
    },
  };
}

/** The `exp` of a JWT in epoch ms, or undefined when the token is not a JWT with one. */
export function jwtExpiry(token: string): number | undefined {
  const claims = decodeJwt(token)?.claims;
  return typeof claims?.exp === 'number' ? claims.exp * 1000 : undefined;
}

/** Header and claims of a JWT, unverified (for display and expiry only); undefined when it is not one. */
export function decodeJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const part = (text: string) => JSON.parse(decodeBase64Url(text)) as unknown;
    const header = part(parts[0]!);
    const claims = part(parts[1]!);
    if (!isRecord(header) || !isRecord(claims)) return undefined;
    return { header, claims };
  } catch {
    return undefined;
  }
}

function decodeBase64Url(text: string): string {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '=');
  const binary = atob(base64);
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
