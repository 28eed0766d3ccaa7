import { requireScope } from '../auth/guards.js';
import type { Principal } from '../auth/principal.js';
import { assertPublishable } from '../events/draft.js';
import type { Idempotency } from '../idempotency/idempotent.js';
import { newId } from '../ids.js';
import { parseInput } from '../input.js';
import { gatewayEventDraft, gatewayEventDrafts } from './events.js';
import { deployApiRevisionInput, undeployApiInput, updateGatewayConfigInput } from './input.js';
import type { Acknowledgements } from './acknowledgements.js';
import type { GatewayService, TargetResult } from './service.js';

type Dispatch = { readonly correlationId: string | null; readonly targets: TargetResult[] };
export type Deployment = Dispatch & { readonly id: string; readonly apiId: string; readonly revisionId: string; readonly vhost: string };
export type Undeployment = Dispatch & { readonly id: string; readonly apiId: string };
export type ConfigUpdate = Dispatch & { readonly gatewayId: string; readonly version: number };

export type Deployments = ReturnType<typeof createDeployments>;

/**
 * The targets' check, asked for in the same round trip as the idempotency
 * claim rather than one before it: a deployment reaches its gateways one
 * round trip sooner. A request whose targets are refused releases its claim
 * (its work fails); a repeat of one that ran gets the first result, as any
 * repeat does.
 */
function checked<T>(check: Promise<T>): Promise<T> {
  check.catch(() => {}); // awaited by the work, or not at all when a repeat is answered from the first result
  return check;
}

/**
 * Deploying, undeploying and configuring, for every door (GraphQL and REST).
 * Input is validated here, for both. A correlation id is also the idempotency
 * key: a retried deployment is not sent twice.
 */
export function createDeployments(deps: { gateways: GatewayService; idempotency: Idempotency; acknowledgements: Acknowledgements }) {
  const { gateways, idempotency, acknowledgements } = deps;
  return {
    async deploy(principal: Principal, request: unknown): Promise<Deployment> {
      requireScope(principal, 'deploy:write'); // also reached from REST, outside the field's authScopes
      const input = parseInput(deployApiRevisionInput, request);
      const correlationId = input.correlationId ?? null;
      const targets = checked(gateways.validateTargets(input.gatewayIds));
      return idempotency.run('deployApiRevision', principal.id, correlationId, async () => {
        const gatewayIds = await targets;
        const id = newId();
        const payload = { apiId: input.apiId, revisionId: input.revisionId, vhost: input.vhost, deploymentId: id };
        const results = await gateways.dispatch(gatewayIds, gatewayEventDrafts('API_DEPLOYED', payload, correlationId), (r) => acknowledgements.record('DEPLOY', id, correlationId, r));
        return { id, apiId: payload.apiId, revisionId: payload.revisionId, vhost: input.vhost, correlationId, targets: results };
      });
    },

    async undeploy(principal: Principal, request: unknown): Promise<Undeployment> {
      requireScope(principal, 'deploy:write');
      const input = parseInput(undeployApiInput, request);
      const correlationId = input.correlationId ?? null;
      const targets = checked(gateways.validateTargets(input.gatewayIds));
      return idempotency.run('undeployApi', principal.id, correlationId, async () => {
        const gatewayIds = await targets;
        const id = newId();
        const payload = { apiId: input.apiId, deploymentId: id };
        const results = await gateways.dispatch(gatewayIds, gatewayEventDrafts('API_UNDEPLOYED', payload, correlationId), (r) => acknowledgements.record('UNDEPLOY', id, correlationId, r));
        return { id, apiId: payload.apiId, correlationId, targets: results };
      });
    },

    async updateConfig(principal: Principal, request: unknown): Promise<ConfigUpdate> {
      requireScope(principal, 'deploy:write');
      const input = parseInput(updateGatewayConfigInput, request);
      const correlationId = input.correlationId ?? null;
      const [gatewayId] = (await gateways.validateTargets([input.gatewayId])) as [string];
      // Checked before a version is taken, so a refused config leaves no trace.
      assertPublishable(gatewayEventDraft('GATEWAY_CONFIG_UPDATED', gatewayId, { version: 1, config: input.config }, correlationId));
      return idempotency.run('updateGatewayConfig', principal.id, correlationId, async () => {
        const version = await gateways.saveConfig(gatewayId, input.config);
        const draft = gatewayEventDraft('GATEWAY_CONFIG_UPDATED', gatewayId, { version, config: input.config }, correlationId);
        const targets = await gateways.dispatch([gatewayId], () => draft, (r) => acknowledgements.record('CONFIG', newId(), correlationId, r));
        return { gatewayId, version, correlationId, targets };
      });
    },
  };
}
