import type { Task } from './model.js';
import type { EventDraft, EventEnvelope, Priority } from '../events/envelope.js';
import { Topics } from '../events/topics.js';

/** The task event family: what a task mutation announces to `repo:<repository>`. */
export const TASK_EVENT_TYPES = {
  CREATED: 'task.created',
  UPDATED: 'task.updated',
  DELETED: 'task.deleted',
} as const;

export type TaskChange = keyof typeof TASK_EVENT_TYPES;
export type TaskEventType = (typeof TASK_EVENT_TYPES)[TaskChange];

export type TaskEventPayload = {
  readonly change: TaskChange;
  readonly taskId: string;
  readonly repository: string;
  /** The task after the change; for a deletion, as it was when deleted. */
  readonly task: Task;
  readonly changedBy: string;
};

export type TaskEvent = EventEnvelope<TaskEventType, TaskEventPayload>;

export function taskEventDraft(
  change: TaskChange,
  task: Task,
  changedBy: string,
  options: { priority: Priority; expiresAt: string | null; correlationId: string | null } = { priority: 'NORMAL', expiresAt: null, correlationId: null },
): EventDraft<TaskEventType, TaskEventPayload> {
  return {
    topic: Topics.repo(task.repository),
    type: TASK_EVENT_TYPES[change],
    correlationId: options.correlationId,
    priority: options.priority,
    expiresAt: options.expiresAt,
    payload: { change, taskId: task.id, repository: task.repository, task, changedBy },
  };
}
