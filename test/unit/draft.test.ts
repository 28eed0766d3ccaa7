import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seal, sealAll, serializeSealed, serializeSealedEvent, splitSerialized } from '../../src/events/draft.js';
import { MAX_EVENT_BYTES, type EventDraft } from '../../src/events/envelope.js';

const draft = (payload: unknown, correlationId: string | null = null): EventDraft => ({
  topic: 'gateway:g1',
  type: 'api.deployed',
  correlationId,
  priority: 'NORMAL',
  expiresAt: null,
  payload,
});

/** What a bus stores: the envelope's fields in this order, payload last. */
const plain = (d: ReturnType<typeof seal>) =>
  JSON.stringify({ id: d.id, topic: d.topic, type: d.type, timestamp: d.timestamp, correlationId: d.correlationId, priority: d.priority, expiresAt: d.expiresAt, payload: d.payload });

describe('sealing drafts made together', () => {
  it('serializes each event to the same text as one sealed alone', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.option(fc.fullUnicodeString({ maxLength: 40 })), (payload, correlationId) => {
        const [event] = sealAll([draft(payload, correlationId)]);
        expect(serializeSealedEvent(event!)).toBe(plain(event!.sealed));
        expect(serializeSealed(event!.sealed)).toBe(plain(event!.sealed));
      }),
    );
  });

  it('shares one timestamp and each payload object, and gives each event its own id', () => {
    const payload = { apiId: 'orders' };
    const events = sealAll([draft(payload), draft(payload), draft({ other: 1 })]);
    expect(new Set(events.map((e) => e.sealed.timestamp)).size).toBe(1);
    expect(new Set(events.map((e) => e.sealed.id)).size).toBe(3);
    expect(events[0]!.time).toBe(Date.parse(events[0]!.sealed.timestamp));
    expect(events.map((e) => e.payloadJson)).toEqual(['{"apiId":"orders"}', '{"apiId":"orders"}', '{"other":1}']);
  });

  it('refuses the whole batch exactly when one event is over the limit, counting bytes not characters', () => {
    const sealedSize = (payload: string) => Buffer.byteLength(plain(sealAll([draft(payload)])[0]!.sealed));
    const base = sealedSize('');
    // Two-byte characters (é) and an escaped one (") fill the event to the limit, then one byte over it.
    const fill = (bytes: number) => `"${'é'.repeat(Math.floor((bytes - 2) / 2))}${(bytes - 2) % 2 ? 'a' : ''}`;
    const exact = fill(MAX_EVENT_BYTES - base);
    expect(sealedSize(exact)).toBe(MAX_EVENT_BYTES);
    expect(() => sealAll([draft('small'), draft(exact)])).not.toThrow();
    const over = `${exact}a`;
    expect(() => sealAll([draft('small'), draft(over)])).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }));
    expect(() => serializeSealed(seal(draft(over)))).toThrow();
  });
});

describe('splitting serialized events into their own part and the shared rest', () => {
  it('puts each event back together as serialized, and sends a rest only where it changes', () => {
    const topic = fc.fullUnicodeString({ minLength: 1, maxLength: 30 });
    const member = fc.record({ topic, id: fc.option(fc.fullUnicodeString({ minLength: 1, maxLength: 20 }), { nil: undefined }), payload: fc.integer({ min: 0, max: 2 }), source: fc.option(fc.constantFrom('a', 'b'), { nil: undefined }) });
    fc.assert(
      fc.property(fc.array(member, { minLength: 1, maxLength: 12 }), (members) => {
        const payloads = [{ p: 0 }, { p: 1, text: 'line\nbreak "quoted"' }, null];
        const events = sealAll(members.map((m): EventDraft => ({ ...draft(payloads[m.payload]), topic: m.topic, ...(m.id ? { id: m.id } : {}), ...(m.source ? { source: m.source } : {}) })));
        const parts = splitSerialized(events);
        let rest = '';
        parts.forEach((part, i) => {
          if (part.rest !== '') rest = part.rest;
          expect(part.own + rest).toBe(serializeSealedEvent(events[i]!));
          if (i > 0) expect(part.rest === '').toBe(members[i]!.payload === members[i - 1]!.payload && members[i]!.source === members[i - 1]!.source);
        });
        expect(parts[0]!.rest).not.toBe('');
      }),
    );
  });
});
