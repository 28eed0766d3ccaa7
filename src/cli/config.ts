import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError, Exit } from './exit-codes.js';

/** Where the CLI connects and with what: flags, then HERALD_URL / HERALD_TOKEN, then the config file, then defaults. */
export type CliConfig = { readonly url: string; readonly token: string | undefined; readonly source: string };

export const DEFAULT_URL = 'http://127.0.0.1:4000/graphql';

export type GlobalFlags = { url?: string; token?: string; config?: string };

/** The config file: --config, else HERALD_CONFIG, else $XDG_CONFIG_HOME/herald/config.json (~/.config/herald/config.json). */
export function configPath(flags: GlobalFlags, env: NodeJS.ProcessEnv): { path: string; explicit: boolean } {
  if (flags.config) return { path: flags.config, explicit: true };
  if (env.HERALD_CONFIG) return { path: env.HERALD_CONFIG, explicit: true };
  return { path: join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'herald', 'config.json'), explicit: false };
}

export function loadConfig(flags: GlobalFlags, env: NodeJS.ProcessEnv = process.env): CliConfig {
  const { path, explicit } = configPath(flags, env);
  let file: { url?: unknown; token?: unknown } = {};
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (explicit || (err as NodeJS.ErrnoException).code !== 'ENOENT') throw new CliError(`cannot read config file ${path}: ${(err as Error).message}`, Exit.usage);
  }
  if (text !== undefined) {
    try {
      file = JSON.parse(text) as typeof file;
    } catch {
      throw new CliError(`config file ${path} is not JSON (expected {"url": "...", "token": "..."})`, Exit.usage);
    }
    if (typeof file !== 'object' || file === null || (file.url !== undefined && typeof file.url !== 'string') || (file.token !== undefined && typeof file.token !== 'string')) {
      throw new CliError(`config file ${path}: "url" and "token" must be strings`, Exit.usage);
    }
  }
  const raw = flags.url ?? env.HERALD_URL ?? (file.url as string | undefined) ?? DEFAULT_URL;
  const source = flags.url ? '--url' : env.HERALD_URL ? 'HERALD_URL' : file.url ? path : 'default';
  const token = flags.token ?? (env.HERALD_TOKEN || undefined) ?? (file.token as string | undefined);
  return { url: normalizeUrl(raw, source), token, source };
}

/** `http://host:4000` means its /graphql; anything but http(s) is a usage error. */
export function normalizeUrl(raw: string, source: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`${source}: "${raw}" is not a URL (e.g. ${DEFAULT_URL})`, Exit.usage);
  }
  if (url.protocol === 'ws:' || url.protocol === 'wss:') url.protocol = url.protocol === 'ws:' ? 'http:' : 'https:';
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`${source}: "${raw}" must be an http(s) URL`, Exit.usage);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/graphql';
  return url.toString();
}
