import type { RateClient } from './limiter.js';
import type { Audit } from '../log.js';

type Tally = { ip: string; fields: Set<string>; refusals: number };

/**
 * Audit lines for rate-limit refusals, aggregated per client per minute: the
 * first refusal is written at once (an operator sees it start), the rest of
 * the minute as one line with the count, so a flood cannot flood the log.
 */
export function createRefusalAudit(audit: Audit, intervalMs = 60_000) {
  let tallies = new Map<string, Tally>();
  const flush = () => {
    const done = tallies;
    tallies = new Map();
    for (const [identity, tally] of done) {
      if (tally.refusals > 0) audit({ action: 'rate-limited', identity, ip: tally.ip, fields: [...tally.fields], refusals: tally.refusals, aggregatedMs: intervalMs });
    }
  };
  const timer = setInterval(flush, intervalMs);
  timer.unref();
  return {
    record(client: RateClient, field: string) {
      const tally = tallies.get(client.identity);
      if (!tally) {
        audit({ action: 'rate-limited', identity: client.identity, ip: client.ip, fields: [field], refusals: 1 });
        tallies.set(client.identity, { ip: client.ip, fields: new Set(), refusals: 0 });
        return;
      }
      tally.fields.add(field);
      tally.refusals++;
    },
    stop() {
      clearInterval(timer);
      flush();
    },
  };
}
