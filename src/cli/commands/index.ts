import { alerts } from './alerts.js';
import { deploy } from './deploy.js';
import { listen } from './listen.js';
import { mcp } from './mcp.js';
import { publish } from './publish.js';
import { pushReceiver } from './push-receiver.js';
import { connections, gateways, stats } from './read.js';
import { token } from './token.js';
import type { CliCommand } from './types.js';

export type { Action, CliCommand } from './types.js';


/**
 * Every subcommand, in the order --help lists them. What `listen` follows,
 * what `publish` does and the agent's tools are tables of their own
 * (LISTEN_SOURCES, PUBLISH_OPS, MCP_TOOLS).
 */
export const COMMANDS: readonly CliCommand[] = [listen, publish, alerts, stats, connections, gateways, deploy, pushReceiver, token, mcp];
