import type { Redis } from 'ioredis';
import { BackendUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';

/** Takes a message as it arrived; decoding is the caller's, once per message however many listen. */
export type MessageListener = (message: Buffer) => void;

/**
 * Redis pub/sub on the subscriber connection: one SUBSCRIBE (or PSUBSCRIBE)
 * per channel however many listeners it has, made for the first listener and
 * undone after the last. Nothing here can reject unseen: a SUBSCRIBE that
 * fails is the caller's error, and an UNSUBSCRIBE that fails only means Redis
 * is away, when the subscription is gone anyway. After a reconnect every
 * channel still listened to is subscribed again in one command (the
 * connection's own resubscribing is off: it left its failures unhandled).
 */
export type RedisSubscriptions = {
  /**
   * Listens to a channel (or a glob pattern); resolves once Redis confirmed
   * the subscription, rejects with BackendUnavailableError when it could not
   * be made (the listener is then dropped). The returned function stops
   * listening.
   */
  subscribe(channel: string, listener: MessageListener, options?: { pattern?: boolean }): Promise<() => void>;
  /**
   * Listens to a channel for as long as the process runs: now if Redis
   * answers, else once it is back. Resolves once the subscription is live,
   * or at once while Redis is away; never rejects.
   */
  listen(channel: string, listener: MessageListener): Promise<void>;
  /** Called after the subscriptions were made again on a new connection: messages in between were lost. */
  onResubscribed(handler: () => void): void;
};

type Channel = { readonly listeners: Set<MessageListener>; readonly pattern: boolean };

export function createRedisSubscriptions(client: Redis, log: Logger): RedisSubscriptions {
  const channels = new Map<string, Channel>();
  const resubscribed: Array<() => void> = [];

  const dispatch = (name: Buffer | string, message: Buffer) => {
    const channel = channels.get(name.toString());
    if (channel) for (const listener of channel.listeners) listener(message);
  };
  client.on('messageBuffer', dispatch);
  // ioredis hands the pattern over as a string, the channel and message as buffers.
  client.on('pmessageBuffer', (pattern: string, _name: Buffer, message: Buffer) => dispatch(pattern, message));

  const failed = (what: string) => (err: Error) => log.warn({ component: 'redis', err: err.message }, `${what} failed; trying again when redis is back`);

  client.on('ready', () => {
    const plain = [...channels].filter(([, c]) => !c.pattern).map(([name]) => name);
    const patterns = [...channels].filter(([, c]) => c.pattern).map(([name]) => name);
    const requests = [plain.length > 0 && client.subscribe(...plain), patterns.length > 0 && client.psubscribe(...patterns)].filter((r) => r !== false);
    if (requests.length === 0) return;
    Promise.all(requests).then(() => {
      for (const handler of resubscribed) handler();
    }, failed('resubscribing'));
  });

  const join = (name: string, listener: MessageListener, pattern: boolean) => {
    let channel = channels.get(name);
    if (!channel) channels.set(name, (channel = { listeners: new Set(), pattern }));
    channel.listeners.add(listener);
    return channel;
  };

  const release = (name: string, channel: Channel, listener: MessageListener) => {
    if (!channel.listeners.delete(listener) || channel.listeners.size > 0 || channels.get(name) !== channel) return;
    channels.delete(name);
    (channel.pattern ? client.punsubscribe(name) : client.unsubscribe(name)).catch((err: Error) =>
      log.debug({ component: 'redis', channel: name, err: err.message }, 'unsubscribe failed; redis is away'),
    );
  };

  return {
    async subscribe(name, listener, options = {}) {
      const channel = join(name, listener, options.pattern === true);
      try {
        // Also for a channel already subscribed: the reply is the confirmation that it is live.
        await (channel.pattern ? client.psubscribe(name) : client.subscribe(name));
      } catch (err) {
        release(name, channel, listener);
        throw new BackendUnavailableError(`subscribe failed: ${(err as Error).message}`);
      }
      return () => release(name, channel, listener);
    },
    async listen(name, listener) {
      join(name, listener, false);
      if (client.status === 'ready') await client.subscribe(name).catch(failed('subscribing'));
    },
    onResubscribed(handler) {
      resubscribed.push(handler);
    },
  };
}
