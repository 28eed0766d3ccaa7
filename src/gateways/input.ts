import { z } from '../zod.js';
import { MAX_TARGETS } from './service.js';
import { PAYLOAD_LIMITS } from '../events/envelope.js';
import { displayName, host, identifier, jsonValue, key, list, typeError } from '../input.js';

const MAX_VHOSTS = 100;

export const registerGatewayInput = z.object({
  name: displayName,
  vhosts: z.array(host).max(MAX_VHOSTS, `must list at most ${MAX_VHOSTS} hosts`).nullish(),
});

/** Counted before repeats are removed, so a list cannot grow past the bound by repeating one id. */
const gatewayIds = list(z.string(typeError('must be a list of strings')).pipe(identifier), MAX_TARGETS, `must name 1-${MAX_TARGETS} gateways`);

/** Also what correlates a retry with the first attempt: it is the idempotency key of gateway mutations. */
const correlationId = key.nullish();

export const deployApiRevisionInput = z.object({
  apiId: identifier,
  revisionId: identifier,
  vhost: host,
  gatewayIds,
  correlationId,
});

export const undeployApiInput = z.object({ apiId: identifier, gatewayIds, correlationId });

export const updateGatewayConfigInput = z.object({ gatewayId: identifier, config: jsonValue(PAYLOAD_LIMITS), correlationId });
