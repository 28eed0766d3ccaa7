import type { EventEnvelope } from '../events/envelope.js';
import type { Context } from './context.js';

/**
 * Opens the event stream behind a subscription field. A consumer that falls
 * more than `maxQueuedEvents` behind loses its stream and its connection
 * (slow consumer); what it lost is counted per event family.
 */
export function openStream(ctx: Context, topics: readonly string[], accept?: (event: EventEnvelope) => boolean) {
  return ctx.services.hub.open(topics, {
    maxQueued: ctx.services.maxQueuedEvents,
    accept,
    onOverflow: (dropped) => {
      for (const event of dropped) ctx.services.metrics.dropped(event.topic, 1);
      ctx.channel?.dropSlowConsumer(dropped.length);
    },
  });
}
