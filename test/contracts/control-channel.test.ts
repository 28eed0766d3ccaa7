import { expect, it } from 'vitest';
import type { ControlChannel, ControlCommand } from '../../src/events/control.js';
import { createMemoryControlChannel } from '../../src/events/control.memory.js';
import { createRedisControlChannel } from '../../src/events/control.redis.js';
import type { RedisConnections } from '../../src/redis/connections.js';
import { contract, redisOnly, silent } from './backends.js';

const redisChannel = (redis: RedisConnections): ControlChannel => createRedisControlChannel(redis, silent);

/** Collects the commands a listener receives; `received(n)` resolves once it holds n. */
function inbox() {
  const commands: ControlCommand[] = [];
  const waiting: Array<{ count: number; resolve: () => void }> = [];
  return {
    commands,
    handler: (command: ControlCommand) => {
      commands.push(command);
      for (const w of waiting.filter((w) => commands.length >= w.count)) w.resolve();
    },
    received(count: number) {
      return commands.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ count, resolve }));
    },
  };
}

const commands: ControlCommand[] = [
  { kind: 'close-connections', match: { principalId: 'gw-1' }, code: 4403, reason: 'gateway key revoked' },
  { kind: 'close-connections', match: { connectionId: '01CONN' }, code: 4000, reason: 'closed by an admin' },
  { kind: 'close-connections', match: { principalId: 'gateway:gw-1', keyId: '01KEY' }, code: 4403, reason: 'gateway key revoked' },
  { kind: 'notify', connectionId: '01CONN', id: '01NOTE', message: 'maintenance at 18:00', timestamp: '2026-01-01T17:00:00.000Z' },
  { kind: 'rate-limits-changed' },
];

contract('ControlChannel', { memory: createMemoryControlChannel, redis: redisChannel }, (_make, backend) => {
  it('delivers a command to every listener of the deployment, whichever instance sends it', async () => {
    const instance = backend.cluster();
    const [a, b] = [await instance(), await instance()];
    const [onA, onB, alsoOnB] = [inbox(), inbox(), inbox()];
    await a.listen(onA.handler);
    await b.listen(onB.handler);
    await b.listen(alsoOnB.handler);
    await a.send(commands[4]!);
    await b.send(commands[0]!);
    await Promise.all([onA.received(2), onB.received(2), alsoOnB.received(2)]);
    for (const box of [onA, onB, alsoOnB]) expect(box.commands).toEqual([commands[4], commands[0]]);
  });

  it('carries each kind of command intact, in the order sent', async () => {
    const instance = backend.cluster();
    const [sender, receiver] = [await instance(), await instance()];
    const box = inbox();
    await receiver.listen(box.handler);
    for (const command of commands) await sender.send(command);
    await box.received(commands.length);
    expect(box.commands).toEqual(commands);
  });

  it('keeps the deployments on one backend apart', async () => {
    const [mine, theirs] = [await backend.make(), await backend.make()];
    const [own, other] = [inbox(), inbox()];
    await mine.listen(own.handler);
    await theirs.listen(other.handler);
    // Each send is awaited, so a command that leaked would arrive between the ones around it.
    await theirs.send(commands[0]!);
    await mine.send(commands[4]!);
    await theirs.send(commands[3]!);
    await Promise.all([own.received(1), other.received(2)]);
    expect(own.commands).toEqual([commands[4]]);
    expect(other.commands).toEqual([commands[0], commands[3]]);
  });
});

redisOnly('ControlChannel', (redis) => ({ channel: redisChannel(redis), redis }), (_make, backend) => {
  it('ignores malformed messages on the channel and still carries the commands after them', async () => {
    const instance = backend.cluster();
    const [sender, receiver] = [await instance(), await instance()];
    const box = inbox();
    await receiver.channel.listen(box.handler);
    const channel = `${sender.redis.keyPrefix}control`;
    const raw = (message: string) => (sender.redis.sharded ? sender.redis.command.spublish(channel, message) : sender.redis.command.publish(channel, message));
    await raw('not json');
    await raw('null');
    await raw('{"kind":"close-connections","match":{"principalId":"gw-1"},"code":"4403","reason":"no"}');
    await raw('{"kind":"close-connections","match":null,"code":4403,"reason":"no"}');
    await raw('{"kind":"close-connections","match":{"principalId":"gw-1","keyId":7},"code":4403,"reason":"no"}');
    await raw('{"kind":"notify","connectionId":"01CONN","id":7,"message":"m","timestamp":"t"}');
    await raw('{"kind":"shutdown"}');
    await sender.channel.send(commands[3]!);
    // Messages on one channel from one connection arrive in order: the malformed ones came first.
    await box.received(1);
    expect(box.commands).toEqual([commands[3]]);
    await sender.channel.send(commands[4]!);
    await box.received(2);
    expect(box.commands).toEqual([commands[3], commands[4]]);
  });
});
