import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { failureReason, targetFailure } from '../../src/push/attempt.js';
import { afterAttempt, backoffMs, breakerAt, CLOSED, outcomeOfStatus, retryAfterMs } from '../../src/push/policy.js';
import { sign, verify } from '../../src/push/signature.js';
import { classify, parseCallbackUrl, RefusedUrl, resolveTarget } from '../../src/push/url-policy.js';

// Development: loopback needs no listing. Production: it does.
const policy = { allowedHosts: ['hooks.example.com', 'internal.example.com'], allowHttp: false, allowLoopback: true };
const production = { ...policy, allowLoopback: false };

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
    // IPv4
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.20.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['169.254.169.254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['192.0.0.192', 'metadata'],
    ['169.254.10.10', 'link-local'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['224.0.0.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['8.8.8.8', 'public'],
    ['172.32.0.1', 'public'],
    ['100.128.0.1', 'public'],
    // IPv6 of its own
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::', 'unspecified'],
    ['fd00:ec2::254', 'metadata'],
    ['FD00:0EC2:0:0:0:0:0:254', 'metadata'],
    ['fd12::1', 'private'],
    ['fc00::1', 'private'],
    ['fec0::1', 'private'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['ff02::1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'reserved'],
    ['100::1', 'reserved'],
    ['2606:4700:4700::1111', 'public'],
    ['2001:4860:4860::8888', 'public'],
    // IPv4-mapped, dotted and hex
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:a00:1', 'private'],
    ['::FFFF:C0A8:0101', 'private'],
    ['0:0:0:0:0:ffff:ac10:1', 'private'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['::ffff:a9fe:101', 'link-local'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['::ffff:8.8.8.8', 'public'],
    // IPv4-compatible and -translated
    ['::127.0.0.1', 'loopback'],
    ['::a00:1', 'private'],
    ['::ffff:0:10.0.0.1', 'private'],
    ['::ffff:0:a9fe:a9fe', 'metadata'],
    // NAT64
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b::a00:1', 'private'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['64:ff9b::169.254.1.1', 'link-local'],
    ['64:ff9b::808:808', 'public'],
    ['64:ff9b:1::a00:1', 'private'],
    // 6to4
    ['2002:a00:1::', 'private'],
    ['2002:c0a8:101::1', 'private'],
    ['2002:7f00:1::1', 'loopback'],
    ['2002:a9fe:a9fe::', 'metadata'],
    ['2002:a9fe:101::', 'link-local'],
    ['2002:808:808::', 'public'],
    // not an address at all
    ['not-an-address', 'reserved'],
  ])('classifies %s as %s', (address, kind) => {
    expect(classify(address)).toBe(kind);
  });

  it.each([
    'http://127.0.0.1:9000/hook',
    'http://localhost:9000/hook',
    'http://[::1]:9000/hook',
    'http://LOCALHOST/hook',
    'http://0x7f.1/hook',
    'http://2130706433/hook',
    'http://0177.0.0.1/hook',
    'http://127.1/hook',
  ])('refuses loopback %s in production unless listed', (url) => {
    expect(refused(() => parseCallbackUrl(url, policy))).toBe('accepted');
    expect(refused(() => parseCallbackUrl(url, production))).toBe('loopback');
    const host = new URL(url).hostname;
    expect(refused(() => parseCallbackUrl(url, { ...production, allowedHosts: [host] }))).toBe('accepted');
  });

  it('refuses loopback spelled as an IPv6 form of an IPv4 address, as any unlisted host', () => {
    expect(refused(() => parseCallbackUrl('http://[::ffff:127.0.0.1]/x', policy))).toBe('host');
    expect(refused(() => parseCallbackUrl('http://[::ffff:7f00:1]/x', production))).toBe('host');
  });

  it('matches listed IPv6 hosts however they are written', () => {
    const listed = { ...production, allowedHosts: ['[0:0::1]'] };
    expect(refused(() => parseCallbackUrl('http://[::1]:9000/x', listed))).toBe('accepted');
  });

  const resolveTo =
    (...addresses: string[]) =>
    async () =>
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  it.each([
    ['169.254.169.254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['2002:a9fe:a9fe::', 'metadata'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['::ffff:169.254.1.1', 'link-local'],
  ])('refuses a listed host that resolves to %s (%s), in development and production', async (address, rule) => {
    const url = parseCallbackUrl('https://hooks.example.com/x', policy);
    await expect(resolveTarget(url, policy, resolveTo(address))).rejects.toMatchObject({ rule });
    await expect(resolveTarget(url, production, resolveTo('93.184.216.34', address))).rejects.toMatchObject({ rule });
  });

  it.each(['169.254.169.254', '[fd00:ec2::254]', '[fe80::1]', '169.254.3.4'])('refuses %s even when PUSH_ALLOWED_HOSTS names it', async (host) => {
    const listed = { ...production, allowedHosts: [host], allowHttp: true };
    const url = parseCallbackUrl(`http://${host}/latest/meta-data`, listed);
    await expect(resolveTarget(url, listed)).rejects.toBeInstanceOf(RefusedUrl);
  });

  it('lets development push to loopback by name, never to what a loopback name resolves to elsewhere', async () => {
    const url = parseCallbackUrl('http://localhost:9000/x', policy);
    await expect(resolveTarget(url, policy, resolveTo('127.0.0.1', '::1'))).resolves.toMatchObject({ address: '127.0.0.1' });
    await expect(resolveTarget(url, policy, resolveTo('10.0.0.7'))).rejects.toMatchObject({ rule: 'private' });
    await expect(resolveTarget(url, production, resolveTo('127.0.0.1'))).rejects.toMatchObject({ rule: 'loopback' });
  });

  it('refuses a listed name that resolves to a private address, checking at resolve time', async () => {
    const url = parseCallbackUrl('https://hooks.example.com/x', policy);
    // The message names the host but not what it resolves to.
    await expect(resolveTarget(url, { ...policy, allowedHosts: ['other.example.com'] }, resolveTo('10.0.0.5'))).rejects.toMatchObject({
      rule: 'private',
      message: 'host hooks.example.com resolves to a private address',
    });
    await expect(resolveTarget(url, policy, resolveTo('93.184.216.34'))).resolves.toMatchObject({ address: '93.184.216.34' });
    // Listed explicitly: an operator's own internal receiver may be private.
    await expect(resolveTarget(new URL('https://internal.example.com/x'), policy, resolveTo('10.0.0.5'))).resolves.toMatchObject({ address: '10.0.0.5' });
    // A name that is not loopback by name must not reach loopback either.
    await expect(resolveTarget(url, { ...policy, allowedHosts: [] }, resolveTo('127.0.0.1'))).rejects.toMatchObject({ rule: 'loopback' });
  });
});

describe('push settings', () => {
  it('lets development push to loopback without listing it, production only when PUSH_ALLOWED_HOSTS names it', () => {
    expect(loadConfig({}).push.urlPolicy).toEqual({ allowedHosts: [], allowHttp: false, allowLoopback: true });
    const production = loadConfig({ NODE_ENV: 'production', HERALD_ADMIN_TOKEN: 'x'.repeat(16), PUSH_ALLOWED_HOSTS: 'hooks.example.com, [::1],10.0.0.5' });
    expect(production.push.urlPolicy).toEqual({ allowedHosts: ['hooks.example.com', '[::1]', '10.0.0.5'], allowHttp: false, allowLoopback: false });
  });

  it('reads PUSH_MAX_REGISTRATIONS_PER_OWNER, 10 unless set', () => {
    expect(loadConfig({}).push.maxRegistrationsPerOwner).toBe(10);
    expect(loadConfig({ PUSH_MAX_REGISTRATIONS_PER_OWNER: '3' }).push.maxRegistrationsPerOwner).toBe(3);
    expect(() => loadConfig({ PUSH_MAX_REGISTRATIONS_PER_OWNER: '0' })).toThrow(/^Invalid configuration: PUSH_MAX_REGISTRATIONS_PER_OWNER="0" must be greater than 0/);
  });

  it('refuses a PUSH_ALLOWED_HOSTS entry that is not a host, naming the variable', () => {
    expect(() => loadConfig({ PUSH_ALLOWED_HOSTS: 'https://hooks.example.com' })).toThrow(/^Invalid configuration: PUSH_ALLOWED_HOSTS="https:\/\/hooks.example.com" must be a comma-separated list/);
  });
});

describe('push failure reasons', () => {
  it.each([
    ['ECONNREFUSED', 'connection refused'],
    ['ECONNRESET', 'connection reset'],
    ['UND_ERR_SOCKET', 'connection reset'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
    ['ENOTFOUND', 'dns failure'],
    ['EHOSTUNREACH', 'host unreachable'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls failure'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls failure'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'tls failure'],
    ['EWHATEVER', 'connection failed'],
    [undefined, 'connection failed'],
  ])('calls %s "%s"', (code, reason) => {
    expect(failureReason({ code })).toBe(reason);
  });

  it('calls a refused target "refused by policy" (final) and a failed lookup "dns failure" (retried), keeping the detail for logs', () => {
    expect(targetFailure(new RefusedUrl('private', 'host x resolves to a private address (10.0.0.1)'))).toEqual({
      kind: 'failed',
      error: 'refused by policy',
      detail: 'host x resolves to a private address (10.0.0.1)',
      retryable: false,
    });
    expect(targetFailure(Object.assign(new Error('getaddrinfo ENOTFOUND x.example'), { code: 'ENOTFOUND' }))).toMatchObject({ error: 'dns failure', retryable: true });
  });
});
