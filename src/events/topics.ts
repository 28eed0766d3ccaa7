/**
 * Topic names. A topic is the unit of ordering: sequence numbers increase per
 * topic, and subscribers listen to topics (or to every topic of one family).
 */
export type TopicFamily = 'repo' | 'gateway' | 'channel';

export const repoTopic = (repository: string) => `repo:${repository}`;

/** The pseudo-topic that receives every event of a family. */
export const familyWildcard = (family: TopicFamily) => `${family}:*`;

export function familyOf(topic: string): TopicFamily | undefined {
  const family = topic.slice(0, topic.indexOf(':'));
  return family === 'repo' || family === 'gateway' || family === 'channel' ? family : undefined;
}
