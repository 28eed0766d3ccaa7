import type { Logger } from '../log.js';
import { call, type RedisConnections } from '../redis/connections.js';

/**
 * Commands every instance must carry out, such as closing the connections of
 * a revoked gateway wherever they are. In Redis mode they travel on one
 * pub/sub channel; in embedded mode they are a function call.
 */
export type ConnectionMatch = { readonly principalId: string } | { readonly connectionId: string };

export type ControlCommand =
  | { readonly kind: 'close-connections'; readonly match: ConnectionMatch; readonly code: number; readonly reason: string }
  | { readonly kind: 'notify'; readonly connectionId: string; readonly id: string; readonly message: string; readonly timestamp: string }
  | { readonly kind: 'rate-limits-changed' };

export type ControlChannel = {
  send(command: ControlCommand): Promise<void>;
  listen(handler: (command: ControlCommand) => void): Promise<void>;
};

export function createMemoryControlChannel(): ControlChannel {
  const handlers: Array<(command: ControlCommand) => void> = [];
  return {
    async send(command) {
      for (const handler of handlers) handler(command);
    },
    async listen(handler) {
      handlers.push(handler);
    },
  };
}

export function createRedisControlChannel(redis: RedisConnections, log: Logger): ControlChannel {
  const channel = `${redis.keyPrefix}control`;
  return {
    send: (command) =>
      call(async () => {
        await redis.command.publish(channel, JSON.stringify(command));
      }),
    async listen(handler) {
      // Through outages too: a command sent while this instance's Redis was away is lost, not the channel.
      redis.subscriptions.listen(channel, (message) => {
        const command = parse(message.toString());
        if (command) handler(command);
        else log.warn('ignored a malformed control command');
      });
    },
  };
}

function parse(message: string): ControlCommand | undefined {
  try {
    const c = JSON.parse(message) as ControlCommand;
    if (c.kind === 'rate-limits-changed') return { kind: c.kind };
    if (c.kind === 'notify') {
      return [c.connectionId, c.id, c.message, c.timestamp].every((v) => typeof v === 'string') ? c : undefined;
    }
    const matchOk = typeof c.match === 'object' && c.match !== null && ('principalId' in c.match || 'connectionId' in c.match);
    return c.kind === 'close-connections' && matchOk && Number.isInteger(c.code) && typeof c.reason === 'string' ? c : undefined;
  } catch {
    return undefined;
  }
}
