import type { EventBus } from './bus.js';
import { familyOf } from './topics.js';

/**
 * The bus as every publisher on this instance uses it: whatever publishes
 * (a mutation, a deployment, a broadcast, a push fallback), what it
 * published is counted, once, here. `count` is told the topic and how many
 * events of that topic's family, and of one type, went out.
 */
export function countingBus(bus: EventBus, count: (topic: string, events: number, type: string) => void): EventBus {
  return {
    ...bus,
    async publish(draft) {
      const event = await bus.publish(draft);
      count(event.topic, 1, event.type);
      return event;
    },
    // Only where the backend has it: a store asks for it by its presence.
    ...(bus.publishWithRecord && {
      async publishWithRecord(draft, record) {
        const event = await bus.publishWithRecord!(draft, record);
        count(event.topic, 1, event.type);
        return event;
      },
    }),
    async publishAll(drafts) {
      const events = await bus.publishAll(drafts);
      // A batch is mostly one family and type (a deployment's gateways): counted per run of one family and type.
      let start = 0;
      for (let i = 1; i <= events.length; i++) {
        if (i < events.length && familyOf(events[i]!.topic) === familyOf(events[start]!.topic) && events[i]!.type === events[start]!.type) continue;
        count(events[start]!.topic, i - start, events[start]!.type);
        start = i;
      }
      return events;
    },
  };
}
