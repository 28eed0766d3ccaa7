import { readFileSync } from 'node:fs';
import { createHeraldClient, type HeraldClient, type HeraldClientOptions } from '../client/index.js';
import { loadConfig, type CliConfig, type GlobalFlags } from './config.js';
import type { Io } from './output.js';

/** The name Herald checks versions of (MIN_CLI_VERSION). */
export const CLI_NAME = 'herald-cli';

/** This checkout's version, sent as clientVersion. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** What every command gets: output, the resolved config and a client made from it. */
export type Context = {
  readonly io: Io;
  config(): CliConfig;
  /** A client for this config, identified as the CLI; disposed when the command ends. */
  client(options?: Partial<HeraldClientOptions>): HeraldClient;
  /** Runs on exit (Ctrl-C included), newest first. */
  onExit(cleanup: () => Promise<void> | void): void;
};

export function createContext(io: Io, flags: () => GlobalFlags): Context & { cleanup(): Promise<void> } {
  let config: CliConfig | undefined;
  const cleanups: Array<() => Promise<void> | void> = [];
  const context = {
    io,
    config: () => (config ??= loadConfig(flags())),
    client(options: Partial<HeraldClientOptions> = {}) {
      const { url, token } = context.config();
      const client = createHeraldClient({ url, token: token ?? null, clientName: CLI_NAME, clientVersion: VERSION, ...options });
      cleanups.push(() => client.dispose());
      return client;
    },
    onExit(cleanup: () => Promise<void> | void) {
      cleanups.push(cleanup);
    },
    async cleanup() {
      for (const cleanup of cleanups.splice(0).reverse()) {
        try {
          await cleanup();
        } catch {
          // best effort on the way out
        }
      }
    },
  };
  return context;
}
