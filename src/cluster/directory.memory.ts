import type { ClusterDirectory, InstanceReport } from './directory.js';

/**
 * Embedded mode: the cluster is this one instance. Its connection list is not
 * kept: the cluster view reads this instance's connections fresh from the
 * registry, and a copy held from one report to the next would keep thousands
 * of report objects alive long enough to end up in the old generation, where
 * they stay as garbage until the next full collection.
 */
export function createMemoryClusterDirectory(): ClusterDirectory {
  let latest: InstanceReport | undefined;
  return {
    async report(summary) {
      latest = summary;
    },
    async instances(except) {
      return latest && latest.instanceId !== except ? [latest] : [];
    },
    async connections() {
      return [];
    },
    async remove() {
      latest = undefined;
    },
  };
}
