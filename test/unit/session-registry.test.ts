import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Closing } from '../../src/sessions/close-codes.js';
import { createSessionRegistry, type Session, type SessionOwner, type SessionTransport } from '../../src/sessions/registry.js';

type Recorded = Session & { ended: Closing[] };
const session = (id: string, transport: SessionTransport = 'websocket'): Recorded => {
  const s: Recorded = { id, transport, principal: null, ended: [], end: (closing) => void s.ended.push(closing) };
  return s;
};
const closing = { code: 4403, reason: 'Forbidden: gateway key revoked' } as const;

describe('the session registry', () => {
  it('counts sessions per transport and per principal, over every transport', () => {
    const registry = createSessionRegistry<Recorded>(pino({ level: 'silent' }));
    const [ws, sse, other] = [session('w'), session('s', 'sse'), session('o')];
    for (const s of [ws, sse, other]) registry.add(s);
    expect(registry.authenticate(ws, { id: 'key:K' })).toBe(1);
    expect(registry.authenticate(sse, { id: 'key:K' })).toBe(2);
    expect(registry.authenticate(other, { id: 'admin' })).toBe(1);
    expect([registry.size(), registry.size('websocket'), registry.size('sse')]).toEqual([3, 2, 1]);
    expect([...registry.of('sse')]).toEqual([sse]);
    registry.remove(sse);
    registry.remove(sse);
    expect([registry.size(), registry.size('sse'), registry.ofPrincipal('key:K')]).toEqual([2, 0, [ws]]);
  });

  it("ends one key's sessions of a principal, or all of them, and lists each principal and key once", () => {
    const registry = createSessionRegistry<Recorded>(pino({ level: 'silent' }));
    const owners: Record<string, SessionOwner> = { old: { id: 'gateway:g', keyId: 'old' }, new: { id: 'gateway:g', keyId: 'new' } };
    const [a, b, c] = [session('a'), session('b', 'sse'), session('c')];
    for (const [s, key] of [[a, 'old'], [b, 'old'], [c, 'new']] as const) {
      registry.add(s);
      registry.authenticate(s, owners[key]!);
    }
    expect(registry.owners()).toEqual([owners.old, owners.new]);
    expect(registry.endMatching({ principalId: 'gateway:g', keyId: 'old' }, closing)).toBe(2);
    expect([a.ended, b.ended, c.ended]).toEqual([[closing], [closing], []]);
    expect(registry.endMatching({ principalId: 'gateway:g' }, closing)).toBe(3);
    expect(c.ended).toEqual([closing]);
    expect(registry.endMatching({ connectionId: 'b' }, closing)).toBe(1);
    expect(registry.endMatching({ connectionId: 'none' }, closing)).toBe(0);
  });

  it('ends a session when its credential expires, and not once it was removed', async () => {
    const registry = createSessionRegistry<Recorded>(pino({ level: 'silent' }));
    const [expiring, removed] = [session('e', 'sse'), session('r')];
    const ended = new Promise<void>((resolve) => {
      const end = expiring.end;
      (expiring as { end: Session['end'] }).end = (c) => (end(c), resolve());
    });
    // The removed one would expire first.
    for (const [s, inMs] of [[expiring, 50], [removed, 10]] as const) {
      registry.add(s);
      registry.authenticate(s, { id: 'user:ana', expiresAt: Date.now() + inMs });
    }
    registry.remove(removed);
    await ended;
    expect(expiring.ended).toEqual([{ code: 4403, reason: 'Forbidden: token expired' }]);
    expect(removed.ended).toEqual([]);
  });
});
