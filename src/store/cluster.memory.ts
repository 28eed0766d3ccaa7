import type { ClusterDirectory, ConnectionReport, InstanceReport } from './cluster.js';

/** Embedded mode: the cluster is this one instance. */
export function createMemoryClusterDirectory(): ClusterDirectory {
  let latest: { summary: InstanceReport; connections: readonly ConnectionReport[] } | undefined;
  return {
    async report(summary, connections) {
      latest = { summary, connections };
    },
    async instances() {
      return latest ? [latest.summary] : [];
    },
    async connections() {
      return latest ? [...latest.connections] : [];
    },
    async remove() {
      latest = undefined;
    },
  };
}
