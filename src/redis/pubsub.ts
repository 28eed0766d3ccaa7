import { BackendUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import type { RedisClient } from './topology.js';

/** Takes a message as it arrived; decoding is the caller's, once per message however many listen. */
export type MessageListener = (message: Buffer) => void;

/**
 * Redis pub/sub on the subscriber connection: one SUBSCRIBE (or PSUBSCRIBE)
 * per channel however many listeners it has, made for the first listener and
 * undone after the last. Nothing here can reject unseen: a SUBSCRIBE that
 * fails is the caller's error, and an UNSUBSCRIBE that fails only means Redis
 * is away, when the subscription is gone anyway. After a reconnect every
 * channel still listened to is subscribed again in one command (the
 * connection's own resubscribing is off: it left its failures unhandled), and
 * `onGap` handlers hear that messages may have been lost meanwhile. When
 * subscribing again fails on a connection that is up, the connection is
 * dropped and made again, rather than left up with channels nobody hears.
 */
export type RedisSubscriptions = {
  /**
   * Listens to a channel (or a glob pattern); resolves once Redis confirmed
   * the subscription, rejects with BackendUnavailableError when it could not
   * be made (the listener is then dropped). The returned function stops
   * listening.
   */
  subscribe(channel: string, listener: MessageListener, options?: SubscribeOptions): Promise<() => void>;
  /**
   * Listens to a channel for as long as the process runs: now if Redis
   * answers, else once it is back. Resolves once the subscription is live,
   * or at once while Redis is away; never rejects.
   */
  listen(channel: string, listener: MessageListener, options?: SubscribeOptions): Promise<void>;
  /**
   * Called each time the connection is back after a drop, before any message
   * arrives on the new connection: messages published since `gap.since` were
   * not received. `gap.resubscribed` resolves once every channel is live
   * again, and rejects when that failed (the next connection calls again).
   */
  onGap(handler: (gap: SubscriptionGap) => void): void;
};

/** Messages a subscriber connection may have missed: those published since `since` (epoch ms, when the connection dropped). */
export type SubscriptionGap = { readonly since: number; readonly resubscribed: Promise<void> };

/**
 * `pattern`: a glob pattern (PSUBSCRIBE). `sharded`: a shard channel
 * (SSUBSCRIBE, Redis 7), delivered by the shard that owns its hash slot
 * rather than broadcast to every node of a Cluster; its publisher must use
 * SPUBLISH.
 */
export type SubscribeOptions = { readonly pattern?: boolean; readonly sharded?: boolean };

type Kind = 'plain' | 'pattern' | 'sharded';
type Channel = { readonly listeners: Set<MessageListener>; readonly kind: Kind };

const kindOf = (options: SubscribeOptions): Kind => (options.pattern ? 'pattern' : options.sharded ? 'sharded' : 'plain');

/** `slotsRefreshMs`: how often a Cluster client reads the slot map again (the latest it learns that a slot moved). */
export function createRedisSubscriptions(client: RedisClient, log: Logger, options: { slotsRefreshMs: number } = { slotsRefreshMs: 5_000 }): RedisSubscriptions {
  const channels = new Map<string, Channel>();
  const gapHandlers: Array<(gap: SubscriptionGap) => void> = [];
  /** When the connection dropped after having been ready; undefined while it is up or before it first was. */
  let lostAt: number | undefined;
  let connected = false;

  const dispatch = (name: Buffer | string, message: Buffer) => {
    const channel = channels.get(name.toString());
    if (channel) for (const listener of channel.listeners) listener(message);
  };
  client.on('messageBuffer', dispatch);
  // ioredis hands the pattern over as a string, the channel and message as buffers.
  client.on('pmessageBuffer', (pattern: string, _name: Buffer, message: Buffer) => dispatch(pattern, message));
  client.on('smessageBuffer', dispatch);

  const subscribeTo = (kind: Kind, name: string) =>
    settled(() => (kind === 'pattern' ? client.psubscribe(name) : kind === 'sharded' ? client.ssubscribe(name) : client.subscribe(name)));
  const unsubscribeFrom = (kind: Kind, name: string) =>
    settled(() => (kind === 'pattern' ? client.punsubscribe(name) : kind === 'sharded' ? client.sunsubscribe(name) : client.unsubscribe(name)));

  const failed = (what: string) => (err: Error) => log.warn({ component: 'redis', err: err.message }, `${what} failed; trying again when redis is back`);

  /** A connection that is up but lacks some of its channels would drop their messages unseen: make it again. */
  let refused = false;
  const reconnect = (what: string) => (err: Error) => {
    if (client.status !== 'ready') return failed(what)(err);
    // Said once while it keeps failing (a Redis ACL that refuses the channels), not on every new connection.
    if (!refused) log.warn({ component: 'redis', err: err.message }, `${what} failed; making the subscriber connection again until it succeeds`);
    refused = true;
    client.disconnect(true);
  };

  client.on('close', () => {
    if (!connected) return;
    connected = false;
    lostAt = Date.now();
  });

  const named = (kind: Kind) => [...channels].filter(([, c]) => c.kind === kind).map(([name]) => name);

  /** Subscribes every plain and pattern channel listened to again, in one command each. */
  const resubscribeAll = () => {
    const plain = named('plain');
    const patterns = named('pattern');
    const requests: Array<Promise<unknown>> = [];
    if (plain.length > 0) requests.push(client.subscribe(...plain));
    if (patterns.length > 0) requests.push(client.psubscribe(...patterns));
    return requests;
  };

  const gap = (since: number, requests: Array<Promise<unknown>>) => {
    const resubscribed = Promise.all(requests).then(() => {
      refused = false;
    });
    resubscribed.catch(reconnect('resubscribing'));
    // Told before any message of the new connection can arrive (they come after the replies to the commands above).
    for (const handler of gapHandlers) handler({ since, resubscribed });
  };

  /**
   * Subscribes the shard channels again, one by one (a Cluster takes one slot
   * per command), as a gap from `since`. While a shard fails over, the slot
   * map can still name no live node for some: those are asked again after the
   * next refresh of the map, as a gap from the same moment. Making the whole
   * connection again instead would tear down the shard subscribers ioredis is
   * building for the new primaries, and fail the same way again.
   */
  let shardRetry: NodeJS.Timeout | undefined;
  const resubscribeShards = (since: number) => {
    clearTimeout(shardRetry);
    const requests = named('sharded').map((name) => subscribeTo('sharded', name));
    if (requests.length === 0) return;
    const resubscribed = Promise.all(requests).then(() => undefined);
    resubscribed.catch(() => {
      if (!connected) return; // the next 'ready' subscribes them again
      shardRetry = setTimeout(() => resubscribeShards(since), options.slotsRefreshMs);
      shardRetry.unref();
    });
    for (const handler of gapHandlers) handler({ since, resubscribed });
  };

  client.on('ready', () => {
    connected = true;
    const since = lostAt;
    lostAt = undefined;
    resubscribeShards(since ?? Date.now() - 2 * options.slotsRefreshMs);
    const requests = resubscribeAll();
    if (requests.length === 0) return;
    if (since !== undefined) gap(since, requests);
    else
      Promise.all(requests)
        .then(() => {
          refused = false;
        })
        .catch(reconnect('resubscribing'));
  });

  // A Cluster stays ready while one shard fails over or a slot moves to another primary. Its sharded
  // subscriber of a failed shard ends and another starts on the new primary; a primary that gives a slot
  // away unsubscribes its channels, and ioredis subscribes them again on the new owner when it next
  // refreshes its slot map. Either way what was published meanwhile is a gap, as after a dropped
  // connection; ioredis reports both with 'subscribersReady' (after the first, at connect).
  let shardLostAt: number | undefined;
  let subscribersStarted = false;
  client.on('-subscriber', () => {
    if (connected) shardLostAt ??= Date.now();
  });
  client.on('subscribersReady', () => {
    const since = shardLostAt ?? Date.now() - 2 * options.slotsRefreshMs;
    shardLostAt = undefined;
    if (!subscribersStarted || !connected) {
      subscribersStarted = true;
      return;
    }
    resubscribeShards(since);
  });

  const join = (name: string, listener: MessageListener, kind: Kind) => {
    let channel = channels.get(name);
    if (!channel) channels.set(name, (channel = { listeners: new Set(), kind }));
    channel.listeners.add(listener);
    return channel;
  };

  const release = (name: string, channel: Channel, listener: MessageListener) => {
    if (!channel.listeners.delete(listener) || channel.listeners.size > 0 || channels.get(name) !== channel) return;
    channels.delete(name);
    unsubscribeFrom(channel.kind, name).catch((err: Error) =>
      log.debug({ component: 'redis', channel: name, err: err.message }, 'unsubscribe failed; redis is away'),
    );
  };

  return {
    async subscribe(name, listener, options = {}) {
      const channel = join(name, listener, kindOf(options));
      try {
        // Also for a channel already subscribed: the reply is the confirmation that it is live.
        await subscribeTo(channel.kind, name);
      } catch (err) {
        release(name, channel, listener);
        throw new BackendUnavailableError(`subscribe failed: ${(err as Error).message}`);
      }
      return () => release(name, channel, listener);
    },
    async listen(name, listener, options = {}) {
      const channel = join(name, listener, kindOf(options));
      if (client.status === 'ready') await subscribeTo(channel.kind, name).catch(reconnect('subscribing'));
    },
    onGap(handler) {
      gapHandlers.push(handler);
    },
  };
}

/**
 * A command's promise, also when sending it throws: a Cluster whose slot map
 * is not whole yet (at start, while the cluster forms) throws from SSUBSCRIBE
 * for a slot it knows no node of, which in an event handler would end the
 * process.
 */
function settled<T>(send: () => Promise<T>): Promise<T> {
  try {
    return send();
  } catch (err) {
    return Promise.reject(err as Error);
  }
}
