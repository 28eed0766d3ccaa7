/** Task state, and how a change applies to it. */

export const TASK_STATUSES = ['TODO', 'IN_PROGRESS', 'DONE', 'CANCELLED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export type Task = {
  readonly id: string;
  readonly repository: string;
  readonly title: string;
  readonly description: string | null;
  readonly status: TaskStatus;
  readonly assignee: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
};

export type NewTask = {
  readonly repository: string;
  readonly title: string;
  readonly description?: string | null;
  readonly status?: TaskStatus | null;
  readonly assignee?: string | null;
};

/** Fields to change; `null` clears an optional field, absent leaves it as it is. */
export type TaskPatch = {
  readonly title?: string | null;
  readonly description?: string | null;
  readonly status?: TaskStatus | null;
  readonly assignee?: string | null;
};

/** A task from input that passed validation (input.ts); the store trusts it. */
export function buildTask(id: string, input: NewTask, now: string): Task {
  return {
    id,
    repository: input.repository,
    title: input.title,
    description: input.description ?? null,
    status: input.status ?? 'TODO',
    assignee: input.assignee ?? null,
    createdAt: now,
    updatedAt: now,
  };
}

export function applyPatch(task: Task, patch: TaskPatch, updatedAt: string): Task {
  const next: { -readonly [K in keyof Task]: Task[K] } = { ...task, updatedAt };
  if (patch.title != null) next.title = patch.title;
  if (patch.status != null) next.status = patch.status;
  if (patch.description !== undefined) next.description = patch.description;
  if (patch.assignee !== undefined) next.assignee = patch.assignee;
  return next;
}
