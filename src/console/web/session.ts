import { VIEWER } from './operations.js';

/**
 * The console's sign-in, shared by GraphiQL and the dashboard. The token is
 * kept in sessionStorage (gone when the tab closes), sent only as a header
 * (HTTP) or in connection_init (WebSocket), never in a URL. A page shows
 * nothing but the sign-in form until Herald says the credential opens the
 * console; in development, where anonymous callers may do everything, that
 * is at once.
 */
const KEY = 'herald.console.token';

export type Session = {
  readonly token: string | null;
  readonly viewer: { kind: string; id: string };
  /** Headers for HTTP requests. */
  readonly headers: Record<string, string>;
  /** connection_init payload for graphql-ws. */
  readonly connectionParams: Record<string, string>;
};

type Check = { ok: true; viewer: { kind: string; id: string } } | { ok: false; message: string };

async function check(token: string | null): Promise<Check> {
  let response: Response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query: VIEWER }),
    });
  } catch {
    return { ok: false, message: 'Herald cannot be reached.' };
  }
  if (response.status === 401) return { ok: false, message: token ? 'This token is not valid.' : '' };
  if (response.status === 403) return { ok: false, message: 'This token has been revoked.' };
  const body = (await response.json().catch(() => null)) as { data?: { viewer?: { kind: string; id: string; console: boolean } } } | null;
  const viewer = body?.data?.viewer;
  if (!viewer) return { ok: false, message: `Herald answered ${response.status}.` };
  if (!viewer.console) return { ok: false, message: 'This token cannot open the console: it needs admin rights or the console scope.' };
  return { ok: true, viewer };
}

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** Resolves once the stored token (or none, in development) or one typed into the form opens the console. */
export async function signIn(): Promise<Session> {
  let token = sessionStorage.getItem(KEY);
  let result = await check(token);
  const form = byId<HTMLFormElement>('login-form');
  const input = byId<HTMLInputElement>('token');
  const error = byId<HTMLElement>('login-error');
  while (!result.ok) {
    sessionStorage.removeItem(KEY);
    error.textContent = result.message;
    byId('login').hidden = false;
    input.focus();
    token = await new Promise<string>((resolve) => {
      form.onsubmit = (event) => {
        event.preventDefault();
        resolve(input.value.trim());
      };
    });
    result = await check(token);
  }
  byId('login').hidden = true;
  input.value = '';
  if (token) sessionStorage.setItem(KEY, token);
  const who = byId('who');
  who.textContent = result.viewer.kind === 'anonymous' ? 'development (anonymous)' : result.viewer.id;
  const out = byId<HTMLButtonElement>('sign-out');
  out.hidden = !token;
  out.onclick = () => {
    sessionStorage.removeItem(KEY);
    location.reload();
  };
  const authorization = token ? { authorization: `Bearer ${token}` } : ({} as Record<string, string>);
  return { token, viewer: result.viewer, headers: authorization, connectionParams: authorization };
}
