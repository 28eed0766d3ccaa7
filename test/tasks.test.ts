import { describe, expect, it } from 'vitest';
import { CREATE_TASK, gql, gqlOk } from './helpers/client.js';
import { useHerald } from './helpers/servers.js';

const TASK = 'id repository title description status assignee createdAt updatedAt';

// The same behaviour whichever store backs the server.
describe.each(['embedded', 'redis'] as const)('tasks over HTTP (%s)', (mode) => {
  const herald = useHerald({}, { redis: mode === 'redis' });

  it('creates, reads, lists, updates and deletes a task', async () => {
    const { createTask } = await gqlOk(herald.url, CREATE_TASK, {
      input: { repository: 'org/app', title: 'Write docs', description: 'All of them', assignee: 'ana' },
    });
    expect(createTask).toMatchObject({ repository: 'org/app', title: 'Write docs', description: 'All of them', status: 'TODO', assignee: 'ana' });
    expect(createTask.createdAt).toBe(createTask.updatedAt);

    const { task } = await gqlOk(herald.url, `query ($id: ID!) { task(id: $id) { ${TASK} } }`, { id: createTask.id });
    expect(task).toEqual(createTask);

    const { updateTask } = await gqlOk(
      herald.url,
      `mutation ($id: ID!, $input: UpdateTaskInput!) { updateTask(id: $id, input: $input) { ${TASK} } }`,
      { id: createTask.id, input: { status: 'IN_PROGRESS', assignee: null } },
    );
    expect(updateTask).toMatchObject({ id: createTask.id, title: 'Write docs', description: 'All of them', status: 'IN_PROGRESS', assignee: null });
    expect(Date.parse(updateTask.updatedAt)).toBeGreaterThanOrEqual(Date.parse(createTask.updatedAt));

    const { tasks } = await gqlOk(herald.url, `query ($r: String!) { tasks(repository: $r) { id status } }`, { r: 'org/app' });
    expect(tasks).toEqual([{ id: createTask.id, status: 'IN_PROGRESS' }]);

    const { deleteTask } = await gqlOk(herald.url, `mutation ($id: ID!) { deleteTask(id: $id) { ${TASK} } }`, { id: createTask.id });
    expect(deleteTask).toEqual(updateTask);
    const after = await gqlOk(herald.url, `query ($id: ID!) { task(id: $id) { id } }`, { id: createTask.id });
    expect(after.task).toBeNull();
    const listed = await gqlOk(herald.url, `query ($r: String!) { tasks(repository: $r) { id } }`, { r: 'org/app' });
    expect(listed.tasks).toEqual([]);
  });

  it('lists tasks in creation order, only of the repository asked for', async () => {
    const ids: string[] = [];
    for (const title of ['one', 'two', 'three']) {
      const { createTask } = await gqlOk(herald.url, CREATE_TASK, { input: { repository: 'list-a', title } });
      ids.push(createTask.id);
    }
    await gqlOk(herald.url, CREATE_TASK, { input: { repository: 'list-b', title: 'other' } });
    const { tasks } = await gqlOk(herald.url, `query { tasks(repository: "list-a") { id title } }`);
    expect(tasks.map((t: { id: string }) => t.id)).toEqual(ids);
  });

  it.each([
    [{ repository: 'has space', title: 't' }, 'repository'],
    [{ repository: '', title: 't' }, 'repository'],
    [{ repository: 'x'.repeat(201), title: 't' }, 'repository'],
    [{ repository: 'ok', title: '' }, 'title'],
    [{ repository: 'ok', title: 'x'.repeat(501) }, 'title'],
    [{ repository: 'ok', title: 'bell\u0007' }, 'title'],
  ])('refuses %j with BAD_USER_INPUT naming %s', async (input, field) => {
    const { status, body } = await gql(herald.url, CREATE_TASK, { input });
    expect(status).toBe(200);
    expect(body.data).toBeNull();
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(body.errors![0]!.message).toMatch(new RegExp(`^${field}: `));
  });

  it('accepts a title of exactly 500 characters and a 200-character repository', async () => {
    const { createTask } = await gqlOk(herald.url, CREATE_TASK, { input: { repository: 'r'.repeat(200), title: 't'.repeat(500) } });
    expect(createTask.title).toHaveLength(500);
  });

  it('answers NOT_FOUND for an unknown id on update and delete', async () => {
    for (const query of [
      `mutation { updateTask(id: "nope", input: { title: "x" }) { id } }`,
      `mutation { deleteTask(id: "nope") { id } }`,
    ]) {
      const { body } = await gql(herald.url, query);
      expect(body.errors![0]!.extensions).toMatchObject({ code: 'NOT_FOUND' });
    }
  });

  it('refuses an id with control characters instead of looking it up', async () => {
    const { body } = await gql(herald.url, 'query ($id: ID!) { task(id: $id) { id } }', { id: 'nope\u001b[2J' });
    expect(body.errors![0]).toMatchObject({ message: 'id: must be 1-128 characters of letters, digits, . _ : -', extensions: { code: 'BAD_USER_INPUT', field: 'id' } });
  });

  it('refuses to clear the title of a task', async () => {
    const { createTask } = await gqlOk(herald.url, CREATE_TASK, { input: { repository: 'clear', title: 'keep me' } });
    const { body } = await gql(herald.url, `mutation ($id: ID!) { updateTask(id: $id, input: { title: null }) { id } }`, { id: createTask.id });
    expect(body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'title' });
  });
});
