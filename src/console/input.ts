import { z } from '../zod.js';
import { pageSize } from '../input.js';

/** The shortest and longest interval of serverStatsUpdates. */
export const STATS_INTERVAL = { minMs: 250, maxMs: 60_000 } as const;

export const statsUpdatesArgs = z.object({
  intervalMs: z
    .number()
    .int()
    .min(STATS_INTERVAL.minMs, `must be ${STATS_INTERVAL.minMs}-${STATS_INTERVAL.maxMs}`)
    .max(STATS_INTERVAL.maxMs, `must be ${STATS_INTERVAL.minMs}-${STATS_INTERVAL.maxMs}`),
});

export const listArgs = z.object({ first: pageSize });
