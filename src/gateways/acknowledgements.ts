import type { Principal } from '../auth/principal.js';
import { HeraldError, notFound } from '../errors.js';
import { parseId } from '../input.js';
import type { TargetResult } from './service.js';

/** What a deployment was: a revision deployed, an API undeployed, or a configuration sent. */
export type DeploymentKind = 'DEPLOY' | 'UNDEPLOY' | 'CONFIG';

/** One target of a recorded deployment, and whether its gateway confirmed the event. */
export type RecordedTarget = {
  readonly gatewayId: string;
  readonly eventId: string | null;
  /** How delivery went at publish time (see TargetResult). */
  readonly status: TargetResult['status'];
  readonly acknowledgedAt: string | null;
};

export type RecordedDeployment = {
  readonly id: string;
  readonly kind: DeploymentKind;
  readonly correlationId: string | null;
  readonly publishedAt: string;
  readonly targets: readonly RecordedTarget[];
};

/** Where deployments are kept until their events leave the log, so gateways can confirm them. */
export interface DeploymentStore {
  record(deployment: RecordedDeployment, ttlSeconds: number): Promise<void>;
  /** Marks the target of this event confirmed (once); null when no kept deployment has the event for this gateway. */
  acknowledge(gatewayId: string, eventId: string, at: string): Promise<RecordedDeployment | null>;
  /** By deployment id, or by correlation id (the latest with it). */
  get(idOrCorrelationId: string): Promise<RecordedDeployment | null>;
  /** The latest kept deployment that targeted the gateway. */
  latestFor(gatewayId: string): Promise<RecordedDeployment | null>;
  /** Forgets which deployment was the gateway's latest: the gateway was deleted. */
  forgetGateway(gatewayId: string): Promise<void>;
}

/**
 * Gateways confirm the events they applied (`acknowledgeGatewayEvent`), so an
 * operator sees which targets of a deployment confirmed and which did not
 * within GATEWAY_ACK_TIMEOUT_MS.
 */
export function createAcknowledgements(deps: { store: DeploymentStore; ttlSeconds: number; timeoutMs: number }) {
  const { store } = deps;
  return {
    timeoutMs: deps.timeoutMs,
    record(kind: DeploymentKind, id: string, correlationId: string | null, targets: readonly TargetResult[]): Promise<void> {
      const publishedAt = new Date().toISOString();
      const recorded = targets.map((t) => ({ gatewayId: t.gatewayId, eventId: t.eventId, status: t.status, acknowledgedAt: null })).sort((a, b) => (a.gatewayId < b.gatewayId ? -1 : 1));
      return store.record({ id, kind, correlationId, publishedAt, targets: recorded }, deps.ttlSeconds);
    },
    /** A gateway confirms one of its own events; a repeat keeps the first time. */
    async acknowledge(principal: Principal, rawEventId: string | number): Promise<RecordedDeployment> {
      if (principal.kind !== 'gateway') throw new HeraldError('FORBIDDEN', 'Only a gateway confirms the events it applied');
      const eventId = parseId(rawEventId, 'eventId');
      const deployment = await store.acknowledge(principal.gatewayId, eventId, new Date().toISOString());
      if (!deployment) throw notFound('gateway event', eventId);
      return deployment;
    },
    async get(rawId: string | number): Promise<RecordedDeployment | null> {
      return store.get(parseId(rawId, 'id'));
    },
    /** The latest deployment sent to the gateway, while it is kept. */
    latestFor: (gatewayId: string) => store.latestFor(gatewayId),
  };
}

export type Acknowledgements = ReturnType<typeof createAcknowledgements>;
