import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HeraldClientError } from '../../src/client/index.js';
import { checkDelivery } from '../../src/cli/commands/push-receiver.js';
import { loadConfig, normalizeUrl } from '../../src/cli/config.js';
import { CliError, Exit, exitCodeOf } from '../../src/cli/exit-codes.js';
import { sign } from '../../src/push/signature.js';

describe('push-receiver signature check', () => {
  const secret = 'registration-secret';
  const body = JSON.stringify({ id: 'e1', type: 'task.created' });
  const now = Math.floor(Date.now() / 1000) * 1000;
  const ts = String(now / 1000);

  it('accepts what the server signs (src/push/signature.ts is the reference)', () => {
    expect(checkDelivery(secret, { timestamp: ts, signature: sign(secret, Number(ts), body) }, body, 300, now)).toBeUndefined();
  });

  it('refuses a tampered body, another secret, a replayed old timestamp and a missing signature', () => {
    const signature = sign(secret, Number(ts), body);
    expect(checkDelivery(secret, { timestamp: ts, signature }, body.replace('e1', 'e2'), 300, now)).toBe('bad signature');
    expect(checkDelivery('other', { timestamp: ts, signature }, body, 300, now)).toBe('bad signature');
    expect(checkDelivery(secret, { timestamp: String(Number(ts) + 1), signature }, body, 300, now)).toBe('bad signature');
    const old = String(Number(ts) - 600);
    const oldSignature = `sha256=${createHmac('sha256', secret).update(`${old}.${body}`).digest('hex')}`;
    expect(checkDelivery(secret, { timestamp: old, signature: oldSignature }, body, 300, now)).toMatch(/^timestamp 600s off/);
    expect(checkDelivery(secret, { timestamp: ts }, body, 300, now)).toMatch(/^unsigned/);
    expect(checkDelivery(secret, { timestamp: 'soon', signature }, body, 300, now)).toMatch(/not a number/);
  });
});

describe('CLI configuration', () => {
  it('reads flags over HERALD_URL / HERALD_TOKEN over the config file, and completes a bare origin to /graphql', () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-cli-unit-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ url: 'http://file.example:4000', token: 'from-file' }));
    expect(loadConfig({ config: file }, {})).toEqual({ url: 'http://file.example:4000/graphql', token: 'from-file', source: file });
    expect(loadConfig({ config: file }, { HERALD_URL: 'http://env.example/graphql', HERALD_TOKEN: 'from-env' })).toMatchObject({ url: 'http://env.example/graphql', token: 'from-env' });
    expect(loadConfig({ config: file, url: 'https://flag.example/api/graphql', token: 'from-flag' }, { HERALD_TOKEN: 'from-env' })).toMatchObject({ url: 'https://flag.example/api/graphql', token: 'from-flag' });
    expect(loadConfig({}, { XDG_CONFIG_HOME: join(dir, 'none') })).toEqual({ url: 'http://127.0.0.1:4000/graphql', token: undefined, source: 'default' });
    expect(() => loadConfig({ config: join(dir, 'missing.json') }, {})).toThrow(CliError);
    writeFileSync(file, JSON.stringify({ url: 42 }));
    expect(() => loadConfig({ config: file }, {})).toThrow(/must be strings/);
  });

  it('takes ws:// for its http:// twin and refuses anything but http(s)', () => {
    expect(normalizeUrl('ws://127.0.0.1:4000/graphql', 'x')).toBe('http://127.0.0.1:4000/graphql');
    expect(normalizeUrl('wss://h.example', 'x')).toBe('https://h.example/graphql');
    expect(() => normalizeUrl('ftp://h.example', '--url')).toThrow(/--url: "ftp:\/\/h.example" must be an http\(s\) URL/);
    expect(() => normalizeUrl('h.example', '--url')).toThrow(/is not a URL/);
  });
});

describe('CLI exit codes', () => {
  it('maps what the SDK reports to the documented codes', () => {
    const error = (code: string, details = {}) => new HeraldClientError(code, 'x', details);
    expect(exitCodeOf(error('UNREACHABLE'))).toBe(Exit.unreachable);
    expect(exitCodeOf(error('BAD_RESPONSE'))).toBe(Exit.unreachable);
    expect(exitCodeOf(error('UNAUTHENTICATED'))).toBe(Exit.unauthenticated);
    expect(exitCodeOf(error('FORBIDDEN', { status: 403 }))).toBe(Exit.unauthenticated); // revoked credentials
    expect(exitCodeOf(error('FORBIDDEN', { closeCode: 4403 }))).toBe(Exit.unauthenticated);
    expect(exitCodeOf(error('FORBIDDEN', { status: 200 }))).toBe(Exit.forbidden); // a scope or repository missing
    expect(exitCodeOf(error('CLIENT_TOO_OLD'))).toBe(Exit.tooOld);
    expect(exitCodeOf(error('NOT_FOUND'))).toBe(Exit.failed);
    expect(exitCodeOf(new CliError('usage', Exit.usage))).toBe(Exit.usage);
    expect(exitCodeOf(new Error('anything else'))).toBe(Exit.failed);
  });
});
