import { describe, expect, it } from 'vitest';
import { addressKey, createAdmission, createWindowCounter, MAX_WAITING_PER_ADDRESS } from '../../src/transport/admission.js';

describe('addresses as connection budgets count them', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['2001:db8:1:2::a', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:DB8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
    ['unknown', 'unknown'],
  ])('%s counts as %s', (address, key) => expect(addressKey(address)).toBe(key));
});

describe('the sliding-minute counter', () => {
  it('evicts the key quiet longest when its table is full, instead of refusing new keys', () => {
    const counter = createWindowCounter(1, 2);
    const now = 1_000_000;
    expect(counter.take('a', now)).toBeUndefined();
    expect(counter.take('b', now)).toBeUndefined();
    expect(counter.take('a', now)).toBeGreaterThan(0); // a is at its limit, and now the key used last
    expect(counter.take('c', now)).toBeUndefined(); // a new key gets in: b, quiet longest, is forgotten
    expect(counter.size()).toBe(2);
    expect(counter.take('b', now)).toBeUndefined(); // b starts afresh (evicting a)
    expect(counter.take('c', now)).toBeGreaterThan(0);
    counter.stop();
  });

  it('takes back a refunded event', () => {
    const counter = createWindowCounter(1);
    const now = Date.now();
    expect(counter.take('a', now)).toBeUndefined();
    expect(counter.take('a', now)).toBeGreaterThan(0);
    counter.refund('a', now);
    expect(counter.take('a', now)).toBeUndefined();
    counter.stop();
  });
});

describe('admission', () => {
  it('moves the charge of an attempt that authenticates to the authenticated budget', () => {
    const admission = createAdmission({ anonymousPerMinute: 1, authenticatedPerMinute: 2 });
    for (let i = 0; i < 2; i++) {
      const ticket = admission.upgrade('10.0.0.1');
      expect(ticket.chargedAt).not.toBeNull();
      expect(admission.authenticated(ticket, false)).toBeUndefined();
    }
    // The authenticated budget is spent; the anonymous one is whole.
    expect(admission.authenticated(admission.upgrade('10.0.0.1'), false)).toMatchObject({ retryAfterSeconds: expect.any(Number) });
    expect(admission.authenticated(admission.upgrade('10.0.0.1'), true)).toBeUndefined();
    expect(admission.authenticated(admission.upgrade('10.0.0.1'), true)).toMatchObject({ retryAfterSeconds: expect.any(Number) });
    admission.stop();
  });

  it('lets attempts over the budget wait, and closes the oldest past the limit', () => {
    const admission = createAdmission({ anonymousPerMinute: 1, authenticatedPerMinute: 10 });
    admission.upgrade('10.0.0.1');
    const closed: number[] = [];
    const tickets = Array.from({ length: MAX_WAITING_PER_ADDRESS + 1 }, (_, i) => {
      const ticket = admission.upgrade('10.0.0.1');
      ticket.close = () => closed.push(i);
      return ticket;
    });
    expect(closed).toEqual([0]);
    expect(tickets[0]!.evicted).toBe(true);
    expect(admission.authenticated(tickets[1]!, false)).toBeUndefined();
    expect(admission.authenticated(tickets[2]!, true)).toMatchObject({ reason: expect.stringMatching(/^Too many connection attempts/) });
    // Another address is not affected.
    expect(admission.upgrade('10.0.0.2').chargedAt).not.toBeNull();
    admission.stop();
  });
});
