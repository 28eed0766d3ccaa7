import type { EventEnvelope } from '../events/envelope.js';
import { openStream, type StreamRequest } from '../events/subscription.js';
import type { Context } from './context.js';

/** The stream behind a subscription field, on the transport the operation runs on. */
export function subscribe(ctx: Context, request: StreamRequest): Promise<AsyncIterableIterator<EventEnvelope>> {
  return openStream(ctx.services.subscriptions, request, ctx.channel);
}
