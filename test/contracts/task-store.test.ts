import { expect, it } from 'vitest';
import { buildTask } from '../../src/tasks/model.js';
import { createMemoryTaskStore } from '../../src/tasks/store.memory.js';
import { createRedisTaskStore } from '../../src/tasks/store.redis.js';
import { contract } from './backends.js';

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
