import { requireRead, requireWrite, subscribedRepositories } from '../auth/guards.js';
import type { Principal } from '../auth/principal.js';
import { notFound } from '../errors.js';
import type { EventBus, RecordWrite } from '../events/bus.js';
import type { EventEnvelope } from '../events/envelope.js';
import { publishOptions, type PublishOptions } from '../events/input.js';
import { Topics } from '../events/topics.js';
import type { Idempotency } from '../idempotency/idempotent.js';
import { newId } from '../ids.js';
import { parseId, parseInput } from '../input.js';
import { taskEventDraft, type TaskChange, type TaskEventPayload } from './events.js';
import { createTaskInput, deleteTaskInput, taskEventsArgs, tasksArgs, updateTaskInput } from './input.js';
import { buildTask, type Task } from './model.js';
import type { TaskStore } from './store.js';

export type TaskService = ReturnType<typeof createTaskService>;

/**
 * Tasks as every door (GraphQL, and later REST or the CLI) sees them: input
 * checked, access checked, each change stored and announced as one event on
 * its repository, at most once per idempotency key.
 */
export function createTaskService(deps: { store: TaskStore; bus: EventBus; idempotency: Idempotency; maxRepositoriesPerSubscription?: number }) {
  const { store, bus, idempotency } = deps;
  const eventsArgs = taskEventsArgs(deps.maxRepositoriesPerSubscription);

  /** A task that does not exist is NOT_FOUND for whoever asks; one that does needs write access to its repository. */
  async function requireWritable(principal: Principal, id: string) {
    const current = await store.get(id);
    if (current) requireWrite(principal, current.repository);
  }

  /** Publishes the change; with `record`, the bus stores the task in the same step (EventBus.publishWithRecord). */
  async function announce(principal: Principal, change: TaskChange, task: Task, options: PublishOptions, record?: RecordWrite): Promise<Task> {
    const draft = taskEventDraft(change, task, principal.id, { ...options, correlationId: null });
    await (record && bus.publishWithRecord ? bus.publishWithRecord(draft, record) : bus.publish(draft));
    return task;
  }

  return {
    /** The task, or null when there is none; FORBIDDEN when the caller may not read its repository. */
    async get(principal: Principal, rawId: string | number): Promise<Task | null> {
      const task = await store.get(parseId(rawId, 'id'));
      if (task) requireRead(principal, task.repository);
      return task;
    },

    async list(principal: Principal, args: unknown): Promise<Task[]> {
      const { repository } = parseInput(tasksArgs, args);
      requireRead(principal, repository);
      return store.list(repository);
    },

    /**
     * What a taskEvents subscription covers: its topics (naming a repository
     * the caller may not read is FORBIDDEN) and the filter on its events (by
     * change, who made it, and the task's assignee and status after it).
     */
    subscription(principal: Principal, args: unknown): { topics: string[]; accept: ((event: EventEnvelope) => boolean) | undefined } {
      const { repositories, types, changedBy, assignee, status } = parseInput(eventsArgs, args);
      const covered = subscribedRepositories(principal, repositories);
      const topics = covered === '*' ? [Topics.wildcard('repo')] : covered.map(Topics.repo);
      const changes = types?.length ? new Set<TaskChange>(types) : undefined;
      if (!changes && changedBy == null && assignee == null && status == null) return { topics, accept: undefined };
      const accept = (event: EventEnvelope) => {
        const change = event.payload as TaskEventPayload;
        return (
          (!changes || changes.has(change.change)) &&
          (changedBy == null || change.changedBy === changedBy) &&
          (assignee == null || change.task.assignee === assignee) &&
          (status == null || change.task.status === status)
        );
      };
      return { topics, accept };
    },

    async create(principal: Principal, rawInput: unknown): Promise<Task> {
      const input = parseInput(createTaskInput, rawInput);
      const task = buildTask(newId(), input, new Date().toISOString());
      requireWrite(principal, task.repository);
      const options = publishOptions(input);
      // Stored and announced in one step where the bus can (Redis), else stored first.
      const record = bus.publishWithRecord && store.recordOf?.(task);
      return idempotency.run('createTask', principal.id, input.idempotencyKey, async () =>
        record ? announce(principal, 'CREATED', task, options, record) : announce(principal, 'CREATED', await store.create(task), options),
      );
    },

    async update(principal: Principal, rawId: string | number, rawInput: unknown): Promise<Task> {
      const id = parseId(rawId, 'id');
      const { idempotencyKey, priority, expiresAt, ...patch } = parseInput(updateTaskInput, rawInput);
      await requireWritable(principal, id);
      const options = publishOptions({ priority, expiresAt });
      return idempotency.run('updateTask', principal.id, idempotencyKey, async () => {
        const task = await store.update(id, patch, new Date().toISOString());
        if (!task) throw notFound('task', id);
        return announce(principal, 'UPDATED', task, options);
      });
    },

    async delete(principal: Principal, rawId: string | number, rawInput: unknown): Promise<Task> {
      const id = parseId(rawId, 'id');
      const input = parseInput(deleteTaskInput, rawInput ?? {});
      await requireWritable(principal, id);
      const options = publishOptions(input);
      return idempotency.run('deleteTask', principal.id, input.idempotencyKey, async () => {
        const task = await store.delete(id);
        if (!task) throw notFound('task', id);
        return announce(principal, 'DELETED', task, options);
      });
    },
  };
}
