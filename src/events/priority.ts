/** Event priorities, lowest first: the one list every part of Herald uses. */
export const PRIORITIES = ['LOW', 'NORMAL', 'HIGH', 'CRITICAL'] as const;

export type Priority = (typeof PRIORITIES)[number];

export const PRIORITY_RANK: Readonly<Record<Priority, number>> = { LOW: 0, NORMAL: 1, HIGH: 2, CRITICAL: 3 };

const KNOWN = new Set<string>(PRIORITIES);
export const isPriority = (value: unknown): value is Priority => typeof value === 'string' && KNOWN.has(value);

/** A filter keeping events at or above a priority; none for LOW (every event). */
export function atLeast(min: Priority | null | undefined): ((e: { readonly priority: Priority }) => boolean) | undefined {
  if (!min || min === 'LOW') return undefined;
  const rank = PRIORITY_RANK[min];
  return (e) => PRIORITY_RANK[e.priority] >= rank;
}
