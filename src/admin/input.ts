import { z } from '../zod.js';
import { PRINCIPAL_KINDS } from '../auth/principal.js';
import { identifier, LIMITS, line, message, pageSize, text } from '../input.js';

/** An empty string matches everything, as if the field were left out. */
const connectionFilter = z.object({
  kind: z.enum(PRINCIPAL_KINDS).nullish(),
  principalId: line(LIMITS.principalId).nullish(),
  clientName: line(LIMITS.clientName).nullish(),
});

export const connectionsArgs = z.object({
  first: pageSize,
  after: identifier.nullish(),
  filter: connectionFilter.nullish(),
});

/** `disconnect(connectionId, reason)`; an empty reason is the same as none. */
export const disconnectArgs = z.object({ connectionId: identifier, reason: text(LIMITS.message).nullish() });

/** `notifyConnection(connectionId, message)`. */
export const notifyConnectionArgs = z.object({ connectionId: identifier, message });

/** `broadcast(message)`. */
export const broadcastArgs = z.object({ message });
