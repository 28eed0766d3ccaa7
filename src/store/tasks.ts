import { badInput } from '../errors.js';

/** Task state and the rules every store applies before it writes. */

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

export interface TaskStore {
  create(task: Task): Promise<Task>;
  get(id: string): Promise<Task | null>;
  list(repository: string): Promise<Task[]>;
  /** Applies the patch and sets updatedAt; null when no such task. */
  update(id: string, patch: TaskPatch, updatedAt: string): Promise<Task | null>;
  /** Removes the task; returns it as it was, or null when no such task. */
  delete(id: string): Promise<Task | null>;
}

export const REPOSITORY_PATTERN = /^[A-Za-z0-9._/-]{1,200}$/;
const MAX_TITLE = 500;
const MAX_DESCRIPTION = 10_000;
const MAX_ASSIGNEE = 200;
// Control characters have no business in names and break log lines.
const CONTROL = /[\u0000-\u001f\u007f]/;

export function validateRepository(repository: string, field = 'repository'): string {
  if (!REPOSITORY_PATTERN.test(repository)) {
    throw badInput(field, 'must be 1-200 characters of letters, digits, ".", "_", "/" or "-"');
  }
  return repository;
}

function validateTitle(title: string): string {
  if (title.trim().length === 0 || title.length > MAX_TITLE) throw badInput('title', `must be 1-${MAX_TITLE} characters`);
  if (CONTROL.test(title)) throw badInput('title', 'must not contain control characters');
  return title;
}

function validateOptional(field: string, value: string | null | undefined, max: number, allowNewlines: boolean) {
  if (value === undefined || value === null) return value;
  if (value.length > max) throw badInput(field, `must be at most ${max} characters`);
  const forbidden = allowNewlines ? /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/ : CONTROL;
  if (forbidden.test(value)) throw badInput(field, 'must not contain control characters');
  return value;
}

export function buildTask(id: string, input: NewTask, now: string): Task {
  return {
    id,
    repository: validateRepository(input.repository),
    title: validateTitle(input.title),
    description: validateOptional('description', input.description, MAX_DESCRIPTION, true) ?? null,
    status: input.status ?? 'TODO',
    assignee: validateOptional('assignee', input.assignee, MAX_ASSIGNEE, false) ?? null,
    createdAt: now,
    updatedAt: now,
  };
}

export function validatePatch(patch: TaskPatch): TaskPatch {
  if (patch.title === null) throw badInput('title', 'cannot be cleared');
  if (patch.status === null) throw badInput('status', 'cannot be cleared');
  if (patch.title !== undefined) validateTitle(patch.title);
  validateOptional('description', patch.description, MAX_DESCRIPTION, true);
  validateOptional('assignee', patch.assignee, MAX_ASSIGNEE, false);
  return patch;
}

export function applyPatch(task: Task, patch: TaskPatch, updatedAt: string): Task {
  const next: { -readonly [K in keyof Task]: Task[K] } = { ...task, updatedAt };
  if (patch.title != null) next.title = patch.title;
  if (patch.status != null) next.status = patch.status;
  if (patch.description !== undefined) next.description = patch.description;
  if (patch.assignee !== undefined) next.assignee = patch.assignee;
  return next;
}
