import { z } from '../zod.js';
import { channelName } from '../channels/input.js';
import { PAYLOAD_LIMITS } from '../events/envelope.js';
import { identifier, jsonValue, key, line, pageSize, text } from '../input.js';
import { ALERT_SEVERITIES, ALERT_STATUSES } from './model.js';

export const raiseAlertInput = z.object({
  channel: channelName.nullish(),
  severity: z.enum(ALERT_SEVERITIES),
  title: line(500).refine((value) => value.trim().length > 0, 'must not be empty'),
  details: jsonValue({ maxBytes: 64 * 1024, maxDepth: PAYLOAD_LIMITS.maxDepth }).nullish(),
  source: key.nullish(),
  dedupKey: key.nullish(),
});

/** `acknowledgeAlert(id, note)`, `resolveAlert(id, note)`. */
export const alertChangeArgs = z.object({ id: identifier, note: text(2000).nullish() });

export const alertsArgs = z.object({
  status: z.enum(ALERT_STATUSES).nullish(),
  severity: z.enum(ALERT_SEVERITIES).nullish(),
  first: pageSize,
  after: identifier.nullish(),
});
