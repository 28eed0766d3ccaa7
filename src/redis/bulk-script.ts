import { createHash } from 'node:crypto';
import { Command } from 'ioredis';
import type { RedisClient } from './topology.js';

export type BulkScript = (client: RedisClient, keys: readonly string[], args: readonly string[]) => Promise<unknown>;

/**
 * A Lua script for calls with many arguments (one or more per gateway of a
 * deployment). A command ioredis makes copies its arguments through
 * `Array.prototype.flat`, which costs about 0.2 ms per 1000 of them, more
 * than encoding them; these arrive flat, so the command is made empty and
 * given them as they are. Sent by hash, and whole when Redis does not know it
 * (NOSCRIPT: Redis restarted or failed over), which means it did not run.
 */
export function bulkScript(lua: string): BulkScript {
  const sha = createHash('sha1').update(lua).digest('hex');
  const send = (client: RedisClient, name: 'evalsha' | 'eval', script: string, keys: readonly string[], args: readonly string[]) => {
    const command = new BulkCommand(name, [], { replyEncoding: 'utf8' });
    // concat sizes the array once; spreading grows it step by step (a few copies of thousands of entries).
    command.args = [script, String(keys.length)].concat(keys, args);
    return client.sendCommand(command) as Promise<unknown>;
  };
  return async (client, keys, args) => {
    try {
      return await send(client, 'evalsha', sha, keys, args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return send(client, 'eval', lua, keys, args);
    }
  };
}

/**
 * A command whose wire form (RESP: an array of bulk strings) is written into
 * one buffer. ioredis builds it by concatenating strings, four per argument,
 * which for a deployment's thousand arguments left a tree of thousands of
 * strings for the young generation to collect, the largest share of what a
 * deployment allocated.
 */
class BulkCommand extends Command {
  override toWritable(): Buffer {
    const args = this.args as readonly string[];
    const lengths = new Int32Array(args.length);
    const head = `*${args.length + 1}\r\n$${this.name.length}\r\n${this.name}\r\n`;
    let size = head.length;
    for (let i = 0; i < args.length; i++) {
      const length = Buffer.byteLength(args[i]!);
      lengths[i] = length;
      // V8 keeps the texts of small numbers made lately: String(length) seldom makes a new one.
      size += 1 + String(length).length + 2 + length + 2;
    }
    const wire = Buffer.allocUnsafe(size);
    let at = wire.write(head, 0, 'latin1');
    for (let i = 0; i < args.length; i++) {
      const length = lengths[i]!;
      wire[at++] = 0x24; // $
      at += wire.write(String(length), at, 'latin1');
      wire[at++] = 0x0d;
      wire[at++] = 0x0a;
      at += wire.write(args[i]!, at, length, 'utf8');
      wire[at++] = 0x0d;
      wire[at++] = 0x0a;
    }
    return wire;
  }
}
