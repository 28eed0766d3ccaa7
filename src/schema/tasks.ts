import { atLeast } from '../events/priority.js';
import { both } from '../events/subscription.js';
import { TASK_EVENT_TYPES, type TaskChange, type TaskEvent } from '../tasks/events.js';
import { TASK_STATUSES, type Task } from '../tasks/model.js';
import { builder } from './builder.js';
import { EventOrderEnum, PriorityEnum } from './priority.js';
import { subscribe } from './subscribe.js';

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
    resolve: (_root, args, ctx) => ctx.services.tasks.get(ctx.principal, args.id),
  }),
  tasks: t.field({
    type: [TaskRef],
    args: { repository: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.tasks.list(ctx.principal, args),
  }),
}));

builder.mutationFields((t) => ({
  createTask: t.field({
    type: TaskRef,
    authScopes: { scope: 'tasks:write' },
    args: { input: t.arg({ type: CreateTaskInput, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.tasks.create(ctx.principal, args.input),
  }),
  updateTask: t.field({
    type: TaskRef,
    authScopes: { scope: 'tasks:write' },
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateTaskInput, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.tasks.update(ctx.principal, args.id, args.input),
  }),
  deleteTask: t.field({
    type: TaskRef,
    authScopes: { scope: 'tasks:write' },
    description: 'Deletes a task and returns it as it was.',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: DeleteTaskInput }) },
    resolve: (_root, args, ctx) => ctx.services.tasks.delete(ctx.principal, args.id, args.input),
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
      types: t.arg({ type: [TaskEventTypeEnum], description: 'Only these changes.' }),
      changedBy: t.arg.string({ description: 'Only changes made by this principal (its id, as `changedBy` shows it).' }),
      assignee: t.arg.string({ description: 'Only changes after which the task has this assignee.' }),
      status: t.arg({ type: TaskStatusEnum, description: 'Only changes after which the task has this status.' }),
      order: t.arg({ type: EventOrderEnum, description: 'The order of the catch-up after `after` (default SEQUENCE).' }),
    },
    subscribe: (_root, { after, minPriority, order, ...args }, ctx) => {
      const { topics, accept } = ctx.services.tasks.subscription(ctx.principal, args);
      return subscribe(ctx, { topics, after, order: order ?? 'SEQUENCE', accept: both(accept, atLeast(minPriority)) }) as Promise<AsyncIterable<TaskEvent>>;
    },
    resolve: (event) => event,
  }),
}));
