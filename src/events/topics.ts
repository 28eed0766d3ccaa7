/**
 * Every topic name Herald makes, in one place. A topic is the unit of
 * ordering: sequence numbers increase per topic, and subscribers listen to
 * topics (or to every topic of one family). Local topics never travel on the
 * bus: they reach this instance's streams only.
 */
export type TopicFamily = 'repo' | 'gateway' | 'channel';

const FAMILIES: readonly TopicFamily[] = ['repo', 'gateway', 'channel'];
const WILDCARDS: Readonly<Record<TopicFamily, string>> = { repo: 'repo:*', gateway: 'gateway:*', channel: 'channel:*' };
const COLON = 0x3a;
const LOCAL = 'local:';
const GATEWAY = 'gateway:';
const CHANNEL = 'channel:';
const CLI = 'cli:';

/**
 * A channel's name, the part after `channel:` in its topic: defined here,
 * with the topics, for everything that names a channel (channel input,
 * channel scopes, topic reads).
 */
export const CHANNEL_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const CHANNEL_NAME_RULE = 'must be 1-64 characters of a-z 0-9 . _ - starting with a letter or digit';

export const Topics = {
  /** A repository's task events. */
  repo: (repository: string) => `repo:${repository}`,
  /** Events for one gateway. */
  gateway: (gatewayId: string) => `${GATEWAY}${gatewayId}`,
  /** The gateway a gateway topic is for. */
  gatewayIdOf: (topic: string) => topic.slice(GATEWAY.length),
  /** A named channel. */
  channel: (name: string) => `channel:${name}`,
  /** The channel a channel topic is for. */
  channelOf: (topic: string) => topic.slice(CHANNEL.length),
  /** Operators' broadcasts to every systemMessages subscription: the built-in channel `system`. */
  system: 'channel:system',
  /**
   * Events a CLI's push endpoint did not take, for its WebSocket. Outside the
   * channel family, so that no channel subscription (`channel:*`) can see them.
   */
  cli: (registrationId: string) => `${CLI}${registrationId}`,
  /** What every CLI topic starts with. */
  cliPrefix: CLI,
  /** The registration a CLI topic is for. */
  registrationIdOf: (topic: string) => topic.slice(CLI.length),
  /**
   * Followed by a gateway's own streams of its events, alongside its topic;
   * nothing is published on it: how many instances follow it tells whether
   * the gateway is listening (an admin watching the gateway does not count).
   */
  gatewayPresence: (gatewayId: string) => `presence:${GATEWAY}${gatewayId}`,
  /** Messages for one connection, on the instance that holds it. */
  connection: (connectionId: string) => `${LOCAL}connection:${connectionId}`,
  /** The pseudo-topic that receives every event of a family. */
  wildcard: (family: TopicFamily) => WILDCARDS[family],
} as const;

export const isLocalTopic = (topic: string) => topic.startsWith(LOCAL);

// Runs for every event published and delivered, so it compares in place rather than cutting the topic.
export function familyOf(topic: string): TopicFamily | undefined {
  for (const family of FAMILIES) {
    if (topic.charCodeAt(family.length) === COLON && topic.startsWith(family)) return family;
  }
  return undefined;
}
