import type { Logger } from '../log.js';
import { call, type RedisConnections } from '../redis/connections.js';
import type { ControlChannel, ControlCommand } from './control.js';

export function createRedisControlChannel(redis: RedisConnections, log: Logger): ControlChannel {
  const channel = `${redis.keyPrefix}control`;
  // A Cluster sends a plain PUBLISH to any node, so two commands could arrive in another order than sent;
  // one shard channel keeps them in order (and off every other node).
  const sharded = redis.sharded;
  return {
    send: (command) =>
      call(async () => {
        const message = JSON.stringify(command);
        await (sharded ? redis.command.spublish(channel, message) : redis.command.publish(channel, message));
      }),
    async listen(handler) {
      // Through outages too: a command sent while this instance's Redis was away is lost, not the channel.
      await redis.subscriptions.listen(channel, (message) => {
        const command = parse(message.toString());
        if (command) handler(command);
        else log.warn('ignored a malformed control command');
      }, { sharded });
    },
  };
}

function parse(message: string): ControlCommand | undefined {
  try {
    const c = JSON.parse(message) as ControlCommand;
    if (c.kind === 'rate-limits-changed' || c.kind === 'channels-changed') return { kind: c.kind };
    if (c.kind === 'notify') {
      return [c.connectionId, c.id, c.message, c.timestamp].every((v) => typeof v === 'string') ? c : undefined;
    }
    const matchOk =
      typeof c.match === 'object' &&
      c.match !== null &&
      (('principalId' in c.match && typeof c.match.principalId === 'string' && (c.match.keyId === undefined || typeof c.match.keyId === 'string')) ||
        ('connectionId' in c.match && typeof c.match.connectionId === 'string'));
    return c.kind === 'close-connections' && matchOk && Number.isInteger(c.code) && typeof c.reason === 'string' ? c : undefined;
  } catch {
    return undefined;
  }
}
