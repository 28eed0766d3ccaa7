import type { DeploymentStore, RecordedDeployment } from './acknowledgements.js';

/** Embedded mode: the newest deployments (by id, correlation id and event id), bounded and expiring. */
export function createMemoryDeploymentStore(maxKept = 10_000): DeploymentStore {
  const byId = new Map<string, { deployment: RecordedDeployment; expiresAt: number }>();
  const byCorrelation = new Map<string, string>();
  const byEvent = new Map<string, string>();
  const byGateway = new Map<string, string>();
  const forget = (id: string) => {
    const entry = byId.get(id);
    if (!entry) return;
    byId.delete(id);
    for (const t of entry.deployment.targets) if (t.eventId !== null) byEvent.delete(t.eventId);
    if (entry.deployment.correlationId !== null && byCorrelation.get(entry.deployment.correlationId) === id) byCorrelation.delete(entry.deployment.correlationId);
    for (const t of entry.deployment.targets) if (byGateway.get(t.gatewayId) === id) byGateway.delete(t.gatewayId);
  };
  const live = (id: string | undefined) => {
    const entry = id === undefined ? undefined : byId.get(id);
    if (entry && entry.expiresAt <= Date.now()) {
      forget(id!);
      return undefined;
    }
    return entry;
  };
  return {
    async record(deployment, ttlSeconds) {
      byId.set(deployment.id, { deployment, expiresAt: Date.now() + ttlSeconds * 1000 });
      if (deployment.correlationId !== null) byCorrelation.set(deployment.correlationId, deployment.id);
      for (const t of deployment.targets) if (t.eventId !== null) byEvent.set(t.eventId, deployment.id);
      for (const t of deployment.targets) byGateway.set(t.gatewayId, deployment.id);
      if (byId.size > maxKept) forget(byId.keys().next().value!);
    },
    async acknowledge(gatewayId, eventId, at) {
      const id = byEvent.get(eventId);
      const entry = live(id);
      if (!entry) return null;
      const index = entry.deployment.targets.findIndex((t) => t.eventId === eventId && t.gatewayId === gatewayId);
      if (index < 0) return null;
      const targets = entry.deployment.targets.map((t, i) => (i === index && t.acknowledgedAt === null ? { ...t, acknowledgedAt: at } : t));
      const deployment = { ...entry.deployment, targets };
      byId.set(id!, { ...entry, deployment });
      return deployment;
    },
    async get(idOrCorrelationId) {
      return (live(idOrCorrelationId) ?? live(byCorrelation.get(idOrCorrelationId)))?.deployment ?? null;
    },
    async latestFor(gatewayId) {
      return live(byGateway.get(gatewayId))?.deployment ?? null;
    },
    async forgetGateway(gatewayId) {
      byGateway.delete(gatewayId);
    },
  };
}
