import { expect, it, vi } from 'vitest';
import { createRedisBus } from '../../src/events/bus.redis.js';
import type { RedisConnections } from '../../src/redis/connections.js';
import { taskEventDraft } from '../../src/tasks/events.js';
import { buildTask, type Task } from '../../src/tasks/model.js';
import { createMemoryTaskStore } from '../../src/tasks/store.memory.js';
import { createRedisTaskStore } from '../../src/tasks/store.redis.js';
import { contract, redisOnly, silent } from './backends.js';

const t = (id: string, repository: string, title = id) => buildTask(id, { repository, title }, '2026-01-01T00:00:00.000Z');

contract('TaskStore', { memory: createMemoryTaskStore, redis: createRedisTaskStore }, (make) => {
  it('creates and gets a task; unknown ids are null', async () => {
    const store = await make();
    const task = t('01A', 'r1');
    await store.create(task);
    expect(await store.get('01A')).toEqual(task);
    expect(await store.get('missing')).toBeNull();
  });

  it('lists a repository in creation order', async () => {
    const store = await make();
    await store.create(t('02B', 'r2'));
    await store.create(t('02C', 'r2'));
    await store.create(t('02D', 'r3'));
    expect((await store.list('r2')).map((x) => x.id)).toEqual(['02B', '02C']);
    expect(await store.list('nothing-here')).toEqual([]);
  });

  it('patches only the given fields; null clears optional ones', async () => {
    const store = await make();
    await store.create(buildTask('03A', { repository: 'r4', title: 'a', description: 'd', assignee: 'ana' }, '2026-01-01T00:00:00.000Z'));
    const updated = await store.update('03A', { status: 'DONE', assignee: null }, '2026-01-02T00:00:00.000Z');
    expect(updated).toEqual({
      id: '03A', repository: 'r4', title: 'a', description: 'd', status: 'DONE', assignee: null,
      createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-02T00:00:00.000Z',
    });
    expect(await store.get('03A')).toEqual(updated);
    expect(await store.update('missing', { title: 'x' }, 'now')).toBeNull();
  });

  it('keeps every field of concurrent updates to one task', async () => {
    const store = await make();
    await store.create(t('04A', 'r5'));
    await Promise.all([
      store.update('04A', { title: 'new title' }, '2026-01-03T00:00:00.000Z'),
      store.update('04A', { assignee: 'bo' }, '2026-01-03T00:00:00.000Z'),
      store.update('04A', { description: 'why' }, '2026-01-03T00:00:00.000Z'),
    ]);
    expect(await store.get('04A')).toMatchObject({ title: 'new title', assignee: 'bo', description: 'why' });
  });

  it('deletes a task, returning it as it was, and drops it from its repository', async () => {
    const store = await make();
    const task = t('05A', 'r6');
    await store.create(task);
    expect(await store.delete('05A')).toEqual(task);
    expect(await store.get('05A')).toBeNull();
    expect(await store.list('r6')).toEqual([]);
    expect(await store.delete('05A')).toBeNull();
  });
});

/**
 * A Redis bus stores a new task in the step that publishes its event: on one
 * server in the publish script, on a Cluster (the task's keys on a slot of
 * their own) answered before the event is published. Either way a listener
 * that hears of the event finds the task, and an event that cannot be
 * published stores nothing.
 */
redisOnly('TaskStore records published with their event', (redis: RedisConnections) => ({ store: createRedisTaskStore(redis), bus: createRedisBus(redis, silent) }), (make) => {
  const created = (task: Task) => taskEventDraft('CREATED', task, 'tester');

  it('stores the task before its event: a listener of the event reads it, and the repository lists it', async () => {
    const { store, bus } = await make();
    const found: Array<Task | null> = [];
    await bus.subscribe('repo:rec', (event) => {
      void store.get((event.payload as { taskId: string }).taskId).then((task) => found.push(task));
    });
    const tasks = [t('06A', 'rec'), t('06B', 'rec'), t('06C', 'rec')];
    const events = [];
    for (const task of tasks) events.push(await bus.publishWithRecord!(created(task), store.recordOf!(task)));
    expect(events.map((e) => [e.topic, e.sequence])).toEqual([
      ['repo:rec', 1],
      ['repo:rec', 2],
      ['repo:rec', 3],
    ]);
    await vi.waitFor(() => expect(found).toEqual(tasks));
    expect(await store.list('rec')).toEqual(tasks);
    const read = await bus.read(['repo:rec'], null, 10);
    expect(read.ok && read.events.map((e) => e.id)).toEqual(events.map((e) => e.id));
  });

  it('stores nothing when the event cannot be published (over 1 MB)', async () => {
    const { store, bus } = await make();
    const task = t('07A', 'big');
    const draft = { ...created(task), payload: { pad: 'x'.repeat(1024 * 1024) } };
    await expect(bus.publishWithRecord!(draft, store.recordOf!(task))).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(await store.get('07A')).toBeNull();
    expect(await store.list('big')).toEqual([]);
  });
});
