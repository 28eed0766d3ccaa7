/**
 * Topic names. A topic is the unit of ordering: sequence numbers increase per
 * topic, and subscribers listen to topics (or to every topic of one family).
 */
export type TopicFamily = 'repo' | 'gateway' | 'channel';

const FAMILIES: readonly TopicFamily[] = ['repo', 'gateway', 'channel'];
const WILDCARDS: Readonly<Record<TopicFamily, string>> = { repo: 'repo:*', gateway: 'gateway:*', channel: 'channel:*' };
const COLON = 0x3a;

export const repoTopic = (repository: string) => `repo:${repository}`;

/** The pseudo-topic that receives every event of a family. */
export const familyWildcard = (family: TopicFamily) => WILDCARDS[family];

// Runs for every event published and delivered, so it compares in place rather than cutting the topic.
export function familyOf(topic: string): TopicFamily | undefined {
  for (const family of FAMILIES) {
    if (topic.charCodeAt(family.length) === COLON && topic.startsWith(family)) return family;
  }
  return undefined;
}
