import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConfigError, loadConfig } from '../src/config.js';
import { CREATE_TASK, record, TASK_EVENTS, wsClient } from './helpers/client.js';
import { ROOT } from './helpers/deploy-files.js';
import { ADMIN_TOKEN, runMainUntilExit } from './helpers/herald.js';
import { useHerald } from './helpers/servers.js';
import { makeCertificate, type Certificate } from './helpers/tls.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-tls-'));
let certificate: Certificate;
let other: Certificate;
beforeAll(() => {
  certificate = makeCertificate(dir);
  other = makeCertificate(dir, 'other');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A GraphQL request over HTTPS from a client that trusts `ca` (and nothing else). */
async function post(url: string, query: string, variables: Record<string, unknown>, ca: Buffer) {
  const dispatcher = new Agent({ connect: { ca } });
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ query, variables }),
      dispatcher,
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as { data?: Record<string, any>; errors?: unknown[] } };
  } finally {
    await dispatcher.close();
  }
}

describe('TLS_CERT_FILE and TLS_KEY_FILE', () => {
  const herald = useHerald(() => ({ TLS_CERT_FILE: certificate.certFile, TLS_KEY_FILE: certificate.keyFile }));

  it('serve GraphQL over HTTPS to a client that trusts the certificate', async () => {
    expect(herald.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/graphql$/);
    const { status, body, headers } = await post(herald.url, CREATE_TASK, { input: { repository: 'tls', title: 'over https' } }, certificate.pem);
    expect(status).toBe(200);
    expect(headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
    expect(body.data?.createTask).toMatchObject({ title: 'over https' });
    const dispatcher = new Agent({ connect: { ca: certificate.pem } });
    const health = await fetch(new URL('/health', herald.url), { dispatcher });
    expect(health.status).toBe(200);
    await dispatcher.close();
  });

  it('deliver subscriptions over WSS', async () => {
    const ca = certificate.pem;
    class TrustingWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { ca });
      }
    }
    expect(herald.wsUrl).toMatch(/^wss:\/\//);
    const client = wsClient(herald.wsUrl, { webSocketImpl: TrustingWebSocket });
    const events = record(client, TASK_EVENTS, { repositories: ['tls'] });
    try {
      await waitForSubscriptionsOverTls(herald.url, ca);
      await post(herald.url, CREATE_TASK, { input: { repository: 'tls', title: 'to the subscriber' } }, ca);
      const [event] = await events.waitForCount(1);
      expect(event).toMatchObject({ type: 'CREATED', repository: 'tls', task: { title: 'to the subscriber' } });
    } finally {
      await client.dispose();
    }
  });

  it('pass the container health probe, which speaks HTTPS when TLS_CERT_FILE is set', async () => {
    // Not spawnSync: the server runs in this process and must go on answering.
    const probe = (env: Record<string, string>) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/healthcheck.ts', '/health', '/ready'], { cwd: ROOT, env: { PATH: process.env.PATH, PORT: new URL(herald.url).port, ...env }, stdio: 'ignore' });
        child.on('exit', (code) => resolve(code));
      });
    expect(await probe({ TLS_CERT_FILE: certificate.certFile })).toBe(0);
    expect(await probe({})).toBe(1);
  });

  it('is refused by clients that do not trust the certificate, and speaks no plain HTTP', async () => {
    const untrusted = await post(herald.url, '{ __typename }', {}, other.pem).catch((err: Error & { cause?: { code?: string } }) => err.cause?.code);
    expect(untrusted).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    const plain = await fetch(herald.url.replace(/^https/, 'http'), { method: 'POST' }).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(plain).toBe('refused');
  });
});

/** Waits until the server counts the one subscription (as waitForSubscriptions does over plain HTTP). */
async function waitForSubscriptionsOverTls(url: string, ca: Buffer) {
  for (let i = 0; i < 400; i++) {
    const { body } = await post(url, '{ stats { subscriptions } }', {}, ca);
    if ((body.data?.stats as { subscriptions: number } | undefined)?.subscriptions === 1) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the subscription did not start');
}

describe('bad TLS settings', () => {
  const refusal = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (err) {
      if (err instanceof ConfigError) return err.message;
      throw err;
    }
    return 'accepted';
  };

  it('refuse one of the two without the other', () => {
    expect(refusal({ TLS_CERT_FILE: certificate.certFile })).toBe('Invalid configuration: TLS_KEY_FILE is required with TLS_CERT_FILE (set both, or neither for plain HTTP)');
    expect(refusal({ TLS_KEY_FILE: certificate.keyFile })).toBe('Invalid configuration: TLS_CERT_FILE is required with TLS_KEY_FILE (set both, or neither for plain HTTP)');
  });

  it('refuse a file that cannot be read, naming the variable and the reason', () => {
    const missing = join(dir, 'missing.crt');
    expect(refusal({ TLS_CERT_FILE: missing, TLS_KEY_FILE: certificate.keyFile })).toBe(`Invalid configuration: TLS_CERT_FILE="${missing}" cannot be read (ENOENT)`);
    expect(refusal({ TLS_CERT_FILE: certificate.certFile, TLS_KEY_FILE: dir })).toBe(`Invalid configuration: TLS_KEY_FILE="${dir}" cannot be read (EISDIR)`);
  });

  it('refuse files that are not PEM, or a key of another certificate', () => {
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n');
    expect(refusal({ TLS_CERT_FILE: junk, TLS_KEY_FILE: certificate.keyFile })).toMatch(/^Invalid configuration: TLS_CERT_FILE=".*junk\.pem" is not a PEM certificate/);
    // The two swapped: a key where the certificate belongs.
    expect(refusal({ TLS_CERT_FILE: certificate.keyFile, TLS_KEY_FILE: certificate.certFile })).toMatch(/^Invalid configuration: TLS_CERT_FILE=".*herald\.key" is not a PEM certificate/);
    expect(refusal({ TLS_CERT_FILE: certificate.certFile, TLS_KEY_FILE: certificate.certFile })).toMatch(/^Invalid configuration: TLS_KEY_FILE=".*herald\.crt" is not an unencrypted PEM private key/);
    expect(refusal({ TLS_CERT_FILE: certificate.certFile, TLS_KEY_FILE: other.keyFile })).toMatch(/^Invalid configuration: TLS_KEY_FILE=".*other\.key" is not the key of the certificate in TLS_CERT_FILE$/);
  });

  it('stop the server at start with that one line', () => {
    const result = runMainUntilExit({ TLS_CERT_FILE: certificate.certFile, TLS_KEY_FILE: other.keyFile });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^Invalid configuration: TLS_KEY_FILE=".*other\.key" is not the key of the certificate in TLS_CERT_FILE$/)]);
  });
});
