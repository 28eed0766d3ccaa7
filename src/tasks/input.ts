import { z } from 'zod';
import { TASK_STATUSES } from './model.js';
import { priority } from '../events/input.js';
import { assignee, description, expiresAt, key, LIMITS, line, list, notClearable, repository, repositoryOrAll, title } from '../input.js';

/** How a mutation publishes its event and repeats safely; every task input has these. */
const eventInputFields = {
  idempotencyKey: key.nullish(),
  priority: priority.nullish(),
  expiresAt: expiresAt.nullish(),
};

const status = z.enum(TASK_STATUSES);

export const createTaskInput = z.object({
  repository,
  title,
  description: description.nullish(),
  status: status.nullish(),
  assignee: assignee.nullish(),
  ...eventInputFields,
});

/** Absent leaves a field as it is; null clears description or assignee, and may not clear title or status. */
export const updateTaskInput = z.object({
  title: notClearable(title),
  description: description.nullish(),
  status: notClearable(status),
  assignee: assignee.nullish(),
  ...eventInputFields,
});

export const deleteTaskInput = z.object({ ...eventInputFields });

/** `tasks(repository)`. */
export const tasksArgs = z.object({ repository });

const MAX_SUBSCRIBED_REPOSITORIES = 100;

/** Repositories to follow: names, or "*" for every one the caller may read. */
export const repositoryList = list(repositoryOrAll, MAX_SUBSCRIBED_REPOSITORIES, `must name 1-${MAX_SUBSCRIBED_REPOSITORIES} repositories, or "*"`);

/** `taskEvents(repositories, types, changedBy, assignee, status)`; the cursor is checked where it is decoded. */
export const taskEventsArgs = z.object({
  repositories: repositoryList,
  types: z.array(z.enum(['CREATED', 'UPDATED', 'DELETED'])).max(3).nullish(),
  changedBy: line(LIMITS.principalId).nullish(),
  assignee: assignee.nullish(),
  status: status.nullish(),
});
