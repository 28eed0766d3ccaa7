import { newId } from '../ids.js';
import { notFound } from '../errors.js';
import { TASK_EVENT_TYPES, taskEventDraft, type TaskChange, type TaskEvent } from '../tasks/events.js';
import { familyWildcard, repoTopic } from '../events/topics.js';
import { buildTask, TASK_STATUSES, type Task } from '../tasks/store.js';
import { parseId, parseInput } from '../validation/parse.js';
import { createTaskInput, deleteTaskInput, taskEventsArgs, tasksArgs, updateTaskInput } from '../tasks/input.js';
import { builder } from './builder.js';
import type { Context } from './context.js';
import { PriorityEnum, eventOptions, type EventOptions } from './priority.js';
import { idempotent } from '../idempotency/idempotent.js';
import { atLeast, openStream } from './streams.js';
import { requireRead, requireWrite, subscribedRepositories } from '../auth/guards.js';

export const TaskStatusEnum = builder.enumType('TaskStatus', { values: TASK_STATUSES });

export const TaskRef = builder.objectRef<Task>('Task').implement({
  description: 'A unit of work in a repository.',
  fields: (t) => ({
    id: t.exposeID('id'),
    repository: t.exposeString('repository'),
    title: t.exposeString('title'),
    description: t.exposeString('description', { nullable: true }),
    status: t.expose('status', { type: TaskStatusEnum }),
    assignee: t.exposeString('assignee', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const TaskEventTypeEnum = builder.enumType('TaskEventType', {
  values: Object.keys(TASK_EVENT_TYPES) as TaskChange[],
});

const TaskEventRef = builder.objectRef<TaskEvent>('TaskEvent').implement({
  description: 'A change to a task, in the order the changes were made to its repository.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Unique event id (ULID).' }),
    type: t.field({ type: TaskEventTypeEnum, resolve: (e) => e.payload.change }),
    taskId: t.id({ resolve: (e) => e.payload.taskId }),
    repository: t.string({ resolve: (e) => e.payload.repository }),
    task: t.field({
      type: TaskRef,
      nullable: true,
      description: 'The task after the change; for DELETED, the task as it was when deleted.',
      resolve: (e) => e.payload.task,
    }),
    changedBy: t.string({ description: 'Id of the principal that made the change.', resolve: (e) => e.payload.changedBy }),
    timestamp: t.expose('timestamp', { type: 'DateTime' }),
    sequence: t.exposeInt('sequence', { description: 'Strictly increasing per repository.' }),
    priority: t.expose('priority', { type: PriorityEnum }),
    cursor: t.exposeString('cursor', { description: 'Opaque position of this event in its repository.' }),
  }),
});

const CreateTaskInput = builder.inputType('CreateTaskInput', {
  fields: (t) => ({
    repository: t.string({ required: true }),
    title: t.string({ required: true }),
    description: t.string(),
    status: t.field({ type: TaskStatusEnum }),
    assignee: t.string(),
    ...eventInputFields(t),
  }),
});

const UpdateTaskInput = builder.inputType('UpdateTaskInput', {
  description: 'Fields to change. An omitted field stays as it is; null clears description or assignee.',
  fields: (t) => ({
    title: t.string(),
    description: t.string(),
    status: t.field({ type: TaskStatusEnum }),
    assignee: t.string(),
    ...eventInputFields(t),
  }),
});

/** Fields every task mutation input has: how to publish, and how to repeat safely. */
function eventInputFields(t: Parameters<Parameters<typeof builder.inputType>[1]['fields']>[0]) {
  return {
    idempotencyKey: t.string({ description: 'A repeat with the same key within the dedup window returns the first result and publishes nothing.' }),
    priority: t.field({ type: PriorityEnum, description: 'Priority of the event this change publishes (default NORMAL).' }),
    expiresAt: t.field({ type: 'DateTime', description: 'After this instant the event is skipped by catch-up.' }),
  };
}

const DeleteTaskInput = builder.inputType('DeleteTaskInput', {
  fields: (t) => ({ ...eventInputFields(t) }),
});

builder.queryFields((t) => ({
  task: t.field({
    type: TaskRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const id = parseId(args.id, 'id');
      const task = await ctx.services.tasks.get(id);
      if (task) requireRead(ctx.principal, task.repository);
      return task;
    },
  }),
  tasks: t.field({
    type: [TaskRef],
    args: { repository: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => {
      const { repository } = parseInput(tasksArgs, args);
      requireRead(ctx.principal, repository);
      return ctx.services.tasks.list(repository);
    },
  }),
}));

/** A task that does not exist is NOT_FOUND for whoever asks; one that does needs write access to its repository. */
async function requireWritable(ctx: Context, id: string) {
  const current = await ctx.services.tasks.get(id);
  if (current) requireWrite(ctx.principal, current.repository);
}

async function announce(ctx: Context, change: TaskChange, task: Task, options: EventOptions): Promise<Task> {
  const event = await ctx.services.bus.publish(taskEventDraft(change, task, ctx.principal.id, { ...options, correlationId: null }));
  ctx.services.counters.published++;
  ctx.services.metrics.published(event.topic);
  return task;
}

builder.mutationFields((t) => ({
  createTask: t.field({
    type: TaskRef,
    authScopes: { scope: 'tasks:write' },
    args: { input: t.arg({ type: CreateTaskInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const input = parseInput(createTaskInput, args.input);
      const task = buildTask(newId(), input, new Date().toISOString());
      requireWrite(ctx.principal, task.repository);
      const options = eventOptions(input);
      return idempotent(ctx, 'createTask', input.idempotencyKey, async () => announce(ctx, 'CREATED', await ctx.services.tasks.create(task), options));
    },
  }),
  updateTask: t.field({
    type: TaskRef,
    authScopes: { scope: 'tasks:write' },
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateTaskInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const id = parseId(args.id, 'id');
      const { idempotencyKey, priority, expiresAt, ...patch } = parseInput(updateTaskInput, args.input);
      await requireWritable(ctx, id);
      const options = eventOptions({ priority, expiresAt });
      return idempotent(ctx, 'updateTask', idempotencyKey, async () => {
        const task = await ctx.services.tasks.update(id, patch, new Date().toISOString());
        if (!task) throw notFound('task', id);
        return announce(ctx, 'UPDATED', task, options);
      });
    },
  }),
  deleteTask: t.field({
    type: TaskRef,
    authScopes: { scope: 'tasks:write' },
    description: 'Deletes a task and returns it as it was.',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: DeleteTaskInput }) },
    resolve: async (_root, args, ctx) => {
      const id = parseId(args.id, 'id');
      const input = parseInput(deleteTaskInput, args.input ?? {});
      await requireWritable(ctx, id);
      const options = eventOptions(input);
      return idempotent(ctx, 'deleteTask', input.idempotencyKey, async () => {
        const task = await ctx.services.tasks.delete(id);
        if (!task) throw notFound('task', id);
        return announce(ctx, 'DELETED', task, options);
      });
    },
  }),
}));

builder.subscriptionFields((t) => ({
  taskEvents: t.field({
    type: TaskEventRef,
    description: 'Every change to tasks of the given repositories, in order per repository. "*" means every repository.',
    args: {
      repositories: t.arg.stringList({ required: true }),
      after: t.arg.string({ description: 'The cursor of the last event received: first deliver every retained event after it.' }),
      minPriority: t.arg({ type: PriorityEnum, description: 'Only events of at least this priority.' }),
    },
    subscribe: (_root, { after, minPriority, ...args }, ctx) => {
      const { repositories } = parseInput(taskEventsArgs, args);
      const covered = subscribedRepositories(ctx.principal, repositories);
      const topics = covered === '*' ? [familyWildcard('repo')] : covered.map(repoTopic);
      return openStream(ctx, { topics, after, accept: atLeast(minPriority) }) as Promise<AsyncIterable<TaskEvent>>;
    },
    resolve: (event) => event,
  }),
}));
