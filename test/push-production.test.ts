import { afterEach, describe, expect, it } from 'vitest';
import { createTask, gql, gqlOk } from './helpers/client.js';
import { startReceiver } from './helpers/receiver.js';
import { useHerald } from './helpers/servers.js';

const REGISTER = 'mutation ($input: RegisterCliInput!) { registerCli(input: $input) { id } }';

describe('where a production server may push', () => {
  const receivers: Array<{ close(): Promise<void> }> = [];
  // 127.0.0.1 is named, so a CLI on the server's own machine may register; localhost is not.
  const herald = useHerald({ NODE_ENV: 'production', PUSH_ALLOWED_HOSTS: '127.0.0.1,169.254.169.254,[fd00:ec2::254],[fe80::1],nothing.invalid' });
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  const register = (callbackUrl: string) => gql(herald.url, REGISTER, { input: { callbackUrl, repositories: ['prod-push'], clientVersion: '1.0.0' } });

  it('refuses loopback callbacks that PUSH_ALLOWED_HOSTS does not name', async () => {
    for (const [callbackUrl, rule] of [
      ['http://localhost:9000/hook', 'loopback'],
      ['http://[::1]:9000/hook', 'loopback'],
      ['http://LOCALHOST:9000/hook', 'loopback'],
      // Other loopback addresses are no loopback names: unlisted hosts, in development too.
      ['http://0x7f.0.0.2:9000/hook', 'host'],
      ['http://[::ffff:127.0.0.1]:9000/hook', 'host'],
    ]) {
      const { body } = await register(callbackUrl!);
      expect(body.errors?.[0]?.extensions, callbackUrl).toMatchObject({ code: 'BAD_USER_INPUT', field: 'callbackUrl', rule });
    }
  });

  it('pushes to a loopback host that PUSH_ALLOWED_HOSTS names', async () => {
    const r = await startReceiver();
    receivers.push(r);
    const { body } = await register(r.url);
    expect(body.errors).toBeUndefined();
    await createTask(herald.url, 'prod-push', 'to the named host');
    await r.until(() => r.delivered().length === 1);
    expect(JSON.parse(r.delivered()[0]!.body)).toMatchObject({ type: 'task.created', payload: { task: { title: 'to the named host' } } });
  });

  it('refuses metadata and link-local addresses even when PUSH_ALLOWED_HOSTS names them', async () => {
    for (const [callbackUrl, rule] of [
      ['https://169.254.169.254/latest/meta-data', 'metadata'],
      ['https://[fd00:ec2::254]/latest/meta-data', 'metadata'],
      ['https://[fe80::1]/hook', 'link-local'],
    ]) {
      const { body } = await register(callbackUrl!);
      expect(body.errors?.[0]?.extensions, callbackUrl).toMatchObject({ code: 'BAD_USER_INPUT', field: 'callbackUrl', rule });
    }
    const endpoints = (await gqlOk(herald.url, '{ cliEndpoints { callbackUrl } }')).cliEndpoints as Array<{ callbackUrl: string }>;
    expect(endpoints.filter((e) => !e.callbackUrl.startsWith('http://127.0.0.1:'))).toEqual([]);
  });

  it('says a name does not resolve without repeating the resolver error', async () => {
    const { body } = await register('https://nothing.invalid/hook');
    expect(body.errors?.[0]).toMatchObject({ message: 'callbackUrl: cannot be resolved (dns failure)', extensions: { code: 'BAD_USER_INPUT', field: 'callbackUrl' } });
  });
});
