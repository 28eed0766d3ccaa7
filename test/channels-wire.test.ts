import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { gqlOk, record, waitForSubscriptions, wsClient } from './helpers/client.js';
import { CHANNEL_EVENTS, PUBLISH_MANY, publish, type ChannelEventResult } from './helpers/channels.js';
import { ADMIN_TOKEN } from './helpers/herald.js';
import { useHerald } from './helpers/servers.js';
import { until } from './helpers/wait.js';

const BATCHES = /* GraphQL */ `
  subscription ($channels: [String!]!, $maxBatch: Int, $maxDelayMs: Int, $after: String) {
    channelEventBatches(channels: $channels, maxBatch: $maxBatch, maxDelayMs: $maxDelayMs, after: $after) { id sequence payload }
  }
`;
type Frame = Array<{ id: string; sequence: number; payload: { n: number } }>;

const many = (count: number, from = 0) => Array.from({ length: count }, (_, i) => ({ channel: 'packets', type: 'packet', payload: { n: from + i } }));

describe('batching on the wire', () => {
  const herald = useHerald();

  it('gathers events into frames of at most maxBatch, shared by subscribers that ask the same', async () => {
    const frames = [record<Frame>(wsClient(herald.wsUrl), BATCHES, { channels: ['packets'], maxBatch: 100, maxDelayMs: 200 }, 'channelEventBatches'), record<Frame>(wsClient(herald.wsUrl), BATCHES, { channels: ['packets'], maxBatch: 100, maxDelayMs: 200 }, 'channelEventBatches')];
    await waitForSubscriptions(herald.url, 2);
    await gqlOk(herald.url, PUBLISH_MANY, { inputs: many(250) });
    for (const subscriber of frames) {
      const got = await until(() => subscriber.values, (f) => f.flat().length >= 250, 'every event in frames');
      expect(got.map((f) => f.length)).toEqual([100, 100, 50]);
      expect(got.flat().map((e) => e.payload.n)).toEqual(Array.from({ length: 250 }, (_, i) => i));
    }
    expect(frames[0]!.values).toEqual(frames[1]!.values);
    for (const subscriber of frames) subscriber.dispose();
  });

  it('sends what arrived within maxDelayMs of the first event, and batches a catch-up after a cursor', async () => {
    const { eventsCursor } = await gqlOk(herald.url, '{ eventsCursor }');
    await gqlOk(herald.url, PUBLISH_MANY, { inputs: many(5, 1000) });
    const caughtUp = record<Frame>(wsClient(herald.wsUrl), BATCHES, { channels: ['packets'], maxBatch: 3, maxDelayMs: 20, after: eventsCursor }, 'channelEventBatches');
    const got = await until(() => caughtUp.values, (f) => f.flat().length >= 5, 'the catch-up in frames');
    expect(got.map((f) => f.length)).toEqual([3, 2]);
    await publish(herald.url, many(1, 2000)[0]!);
    const live = await caughtUp.waitForCount(3);
    expect(live[2]!.map((e) => e.payload.n)).toEqual([2000]);
    caughtUp.dispose();
  });
});

describe('a slow consumer of a channel', () => {
  const herald = useHerald({ WS_MAX_QUEUED_EVENTS: '50', WS_MAX_BUFFERED_BYTES: '65536' });

  it('loses its lowest-priority events first, is told how many, and keeps its connection', async () => {
    const socket = new WebSocket(herald.wsUrl, ['graphql-transport-ws']);
    const messages: Array<{ type: string; payload?: { data?: { channelEvents: ChannelEventResult } } }> = [];
    let closed = false;
    socket.on('close', () => (closed = true));
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${ADMIN_TOKEN}` } }));
    await until(() => messages.length, (n) => n === 1, 'the ack');
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: CHANNEL_EVENTS, variables: { channels: ['network'] } } }));
    await waitForSubscriptions(herald.url, 1);
    // It stops reading: what the server writes piles up in the socket buffers, then in the subscription's queue.
    socket.pause();
    const blob = 'x'.repeat(2000);
    const inputs = Array.from({ length: 600 }, (_, n) => ({ channel: 'network', type: 'flow', payload: { n, blob }, priority: n % 30 === 0 ? 'CRITICAL' : 'LOW' }));
    for (let i = 0; i < inputs.length; i += 100) await gqlOk(herald.url, PUBLISH_MANY, { inputs: inputs.slice(i, i + 100) });
    socket.resume();
    const events = () => messages.filter((m) => m.type === 'next').map((m) => m.payload!.data!.channelEvents);
    const got = await until(events, (e) => e.some((x) => x.type === 'herald.dropped') && e.filter((x) => x.type === 'flow').length + dropped(e) >= 600, 'every event or its notice');
    const flows = got.filter((e) => e.type === 'flow').map((e) => (e.payload as { n: number }).n);
    expect(flows).toEqual([...flows].sort((a, b) => a - b));
    // Every critical event arrived; what was lost was low priority, and the notices count it.
    expect(flows.filter((n) => n % 30 === 0)).toEqual(inputs.filter((e) => e.priority === 'CRITICAL').map((e) => e.payload.n));
    expect(flows.length + dropped(got)).toBe(600);
    const notice = got.find((e) => e.type === 'herald.dropped')!;
    expect(notice).toMatchObject({ channel: 'network', priority: 'HIGH', payload: { dropped: expect.any(Number) } });
    expect(closed).toBe(false);
    socket.close();
  });
});

const dropped = (events: ChannelEventResult[]) => events.filter((e) => e.type === 'herald.dropped').reduce((n, e) => n + (e.payload as { dropped: number }).dropped, 0);

describe('compression', () => {
  const herald = useHerald({ WS_PER_MESSAGE_DEFLATE: 'true' });

  it('compresses large frames for a client that asks, and not for one that does not', async () => {
    const open = async (deflate: boolean) => {
      const socket = new WebSocket(herald.wsUrl, ['graphql-transport-ws'], { perMessageDeflate: deflate });
      const next: string[] = [];
      socket.on('message', (data) => next.push(String(data)));
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${ADMIN_TOKEN}` } }));
      await until(() => next.length, (n) => n === 1, 'the ack');
      socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: CHANNEL_EVENTS, variables: { channels: ['system'] } } }));
      return { socket, next };
    };
    const compressed = await open(true);
    const plain = await open(false);
    expect(compressed.socket.extensions).toMatch(/permessage-deflate/);
    expect(plain.socket.extensions).toBe('');
    await waitForSubscriptions(herald.url, 2);
    const before = [compressed, plain].map((c) => (c.socket as unknown as { _socket: { bytesRead: number } })._socket.bytesRead);
    await publish(herald.url, { channel: 'system', type: 'report', payload: { text: 'all quiet '.repeat(5000) } });
    await until(() => [compressed.next.length, plain.next.length], ([a, b]) => a === 2 && b === 2, 'the event on both');
    const read = [compressed, plain].map((c, i) => (c.socket as unknown as { _socket: { bytesRead: number } })._socket.bytesRead - before[i]!);
    expect(compressed.next[1]).toBe(plain.next[1]);
    expect(read[1]).toBeGreaterThan(50_000);
    expect(read[0]).toBeLessThan(5_000);
    compressed.socket.close();
    plain.socket.close();
  });
});
