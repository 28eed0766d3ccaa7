import { describe, expect, it } from 'vitest';
import { afterAttempt, backoffMs, breakerAt, CLOSED, outcomeOfStatus, retryAfterMs } from '../../src/push/policy.js';
import { sign, verify } from '../../src/push/signature.js';
import { classify, parseCallbackUrl, RefusedUrl, resolveTarget } from '../../src/push/url-policy.js';

const policy = { allowedHosts: ['hooks.example.com', 'internal.example.com'], allowHttp: false };

describe('push retry policy', () => {
  it('backs off exponentially with full jitter, capped', () => {
    const settings = { baseMs: 500, maxMs: 60_000, maxAttempts: 8 };
    expect([1, 2, 3, 4].map((n) => backoffMs(n, settings, () => 0.999))).toEqual([499, 999, 1998, 3996]);
    expect(backoffMs(20, settings, () => 0.999)).toBe(59_940);
    expect(backoffMs(3, settings, () => 0)).toBe(0);
  });

  it('reads Retry-After as seconds or as a date', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });

  it.each([
    [200, 'delivered', undefined],
    [204, 'delivered', undefined],
    [500, 'failed', true],
    [503, 'failed', true],
    [408, 'failed', true],
    [429, 'failed', true],
    [410, 'failed', false],
    [400, 'failed', false],
    [404, 'failed', false],
  ])('treats HTTP %i as %s (retryable: %s)', (status, kind, retryable) => {
    const outcome = outcomeOfStatus(status, null);
    expect(outcome.kind).toBe(kind);
    if (outcome.kind === 'failed') expect(outcome.retryable).toBe(retryable);
  });

  it('opens the breaker after the threshold, half-opens after its time, and closes on success', () => {
    const settings = { failureThreshold: 3, openMs: 1000 };
    let b = CLOSED;
    for (let i = 0; i < 2; i++) b = afterAttempt(b, false, settings, 100);
    expect(b).toEqual({ state: 'CLOSED', failures: 2, openedAt: null });
    b = afterAttempt(b, false, settings, 100);
    expect(b).toEqual({ state: 'OPEN', failures: 3, openedAt: 100 });
    expect(breakerAt(b, settings, 1099).state).toBe('OPEN');
    const half = breakerAt(b, settings, 1100);
    expect(half.state).toBe('HALF_OPEN');
    expect(afterAttempt(half, false, settings, 1200)).toEqual({ state: 'OPEN', failures: 4, openedAt: 1200 });
    expect(afterAttempt(half, true, settings, 1200)).toEqual(CLOSED);
  });
});

describe('push signatures', () => {
  it('signs <timestamp>.<body> with HMAC-SHA256 and verifies it', () => {
    const signature = sign('s3cret', 1_700_000_000, '{"a":1}');
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verify('s3cret', '1700000000', '{"a":1}', signature)).toBe(true);
    expect(verify('s3cret', '1700000001', '{"a":1}', signature)).toBe(false);
    expect(verify('other', '1700000000', '{"a":1}', signature)).toBe(false);
  });
});

describe('where pushes may go', () => {
  const refused = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return err instanceof RefusedUrl ? err.rule : 'other';
    }
    return 'accepted';
  };

  it.each([
    ['http://127.0.0.1:9000/hook', 'accepted'],
    ['http://localhost:9000/hook', 'accepted'],
    ['http://[::1]:9000/hook', 'accepted'],
    ['https://hooks.example.com/x', 'accepted'],
    ['http://hooks.example.com/x', 'https'],
    ['https://evil.example.com/x', 'host'],
    ['http://169.254.169.254/latest/meta-data', 'host'],
    ['http://10.0.0.1/x', 'host'],
    ['ftp://127.0.0.1/x', 'scheme'],
    ['http://user:pw@127.0.0.1/x', 'credentials'],
    ['not a url', 'url'],
  ])('%s: %s', (url, rule) => {
    expect(refused(() => parseCallbackUrl(url, policy))).toBe(rule);
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.20.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'metadata'],
    ['169.254.10.10', 'link-local'],
    ['::ffff:10.0.0.1', 'private'],
    ['fd12::1', 'private'],
    ['fe80::1', 'link-local'],
    ['8.8.8.8', 'public'],
  ])('classifies %s as %s', (address, kind) => {
    expect(classify(address)).toBe(kind);
  });

  it('refuses a listed name that resolves to a private address, checking at resolve time', async () => {
    const resolveTo = (address: string) => async () => [{ address, family: 4 }];
    const url = parseCallbackUrl('https://hooks.example.com/x', policy);
    await expect(resolveTarget(url, { ...policy, allowedHosts: ['other.example.com'] }, resolveTo('10.0.0.5'))).rejects.toMatchObject({ rule: 'private' });
    await expect(resolveTarget(url, policy, resolveTo('93.184.216.34'))).resolves.toMatchObject({ address: '93.184.216.34' });
    // Listed explicitly: an operator's own internal receiver may be private.
    await expect(resolveTarget(new URL('https://internal.example.com/x'), policy, resolveTo('10.0.0.5'))).resolves.toMatchObject({ address: '10.0.0.5' });
    // A name that is not loopback by name must not reach loopback either.
    await expect(resolveTarget(url, { ...policy, allowedHosts: [] }, resolveTo('127.0.0.1'))).rejects.toMatchObject({ rule: 'loopback' });
  });
});
