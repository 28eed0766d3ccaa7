import type { ClusterDirectory, InstanceReport } from './cluster.js';

/** Embedded mode: the cluster is this one instance. */
export function createMemoryClusterDirectory(): ClusterDirectory {
  let latest: InstanceReport | undefined;
  return {
    async report(report) {
      latest = report;
    },
    async instances() {
      return latest ? [latest] : [];
    },
    async remove() {
      latest = undefined;
    },
  };
}
