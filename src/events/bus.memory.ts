import type { EventBus, EventListener } from './bus.js';
import { encodeCursor } from './cursor.js';
import { seal, serializeSealed } from './draft.js';
import type { EventEnvelope } from './envelope.js';
import { familyOf, familyWildcard } from './topics.js';

/** Embedded mode: one process, delivery is a synchronous loop over the topic's listeners. */
export function createMemoryBus(): EventBus {
  const sequences = new Map<string, number>();
  const listeners = new Map<string, Set<EventListener>>();

  const deliver = (topic: string, event: EventEnvelope) => {
    const set = listeners.get(topic);
    if (set) for (const listener of set) listener(event);
  };

  return {
    async publish(draft) {
      const sealed = seal(draft);
      serializeSealed(sealed); // same size rule as Redis mode
      const sequence = (sequences.get(sealed.topic) ?? 0) + 1;
      sequences.set(sealed.topic, sequence);
      const event: EventEnvelope = Object.freeze({ ...sealed, sequence, cursor: encodeCursor(sealed.topic, sequence) });
      deliver(event.topic, event);
      const family = familyOf(event.topic);
      if (family) deliver(familyWildcard(family), event);
      return event;
    },
    async subscribe(topic, listener) {
      let set = listeners.get(topic);
      if (!set) listeners.set(topic, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(topic) === set) listeners.delete(topic);
      };
    },
    isReady: () => true,
    async close() {
      listeners.clear();
    },
  };
}
