import { newId } from '../ids.js';
import type { EventBus, ReadFrom } from '../events/bus.js';
import type { EventEnvelope } from '../events/envelope.js';
import type { Hub } from '../events/hub.js';
import { familyWildcard, repoTopic } from '../events/topics.js';
import type { Logger } from '../log.js';
import type { CliRegistration, CliStore, Delivery, DeliveryStatus, EndpointState } from '../store/cli.js';
import { attempt } from './attempt.js';
import { afterAttempt, backoffMs, breakerAt, type AttemptOutcome, type BreakerSettings, type RetrySettings } from './policy.js';
import { sign } from './signature.js';
import { RefusedUrl, resolveTarget, type UrlPolicy } from './url-policy.js';

export type PushSettings = {
  readonly timeoutMs: number;
  readonly retry: RetrySettings;
  readonly breaker: BreakerSettings;
  readonly urlPolicy: UrlPolicy;
  readonly healthIntervalMs: number;
  readonly endpointExpiryMs: number;
  /** How long the pushing instance's lock lasts without renewal: the longest a takeover waits. */
  readonly leaderTtlMs: number;
};

export type WorkerDeps = {
  readonly bus: EventBus;
  readonly hub: Hub;
  readonly store: CliStore;
  readonly settings: PushSettings;
  readonly log: Logger;
  /** Hands an event the endpoint did not take to the CLI's WebSocket (cliNotifications). */
  readonly fallback: (registration: CliRegistration, event: EventEnvelope, reason: string) => Promise<void>;
};

const PAGE = 100;

/**
 * Pushes one registration's events, in order: event n+1 is not sent before n
 * was delivered or given up. Progress is a cursor in the store, advanced after
 * each event, so another instance that takes over continues where this one
 * stopped. Events come from the log, so nothing published while the endpoint
 * was slow, or while no instance was pushing, is lost.
 */
export function startWorker(registration: CliRegistration, deps: WorkerDeps): { stop(): Promise<void> } {
  const { bus, hub, store, settings, log } = deps;
  const topics = registration.repositories.includes('*') ? [familyWildcard('repo')] : registration.repositories.map(repoTopic);
  let running = true;
  let wakeUp: () => void = () => {};
  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const done = (async () => {
    // Live events only wake the loop; what to send is always read from the log.
    const live = await hub.open(topics, { maxQueued: 1_000_000, onOverflow: () => {} });
    let signal: Promise<unknown> | undefined;
    try {
      while (running) {
        try {
          const from = (await store.cursor(registration.id)) ?? { position: await bus.head(), time: Date.now() };
          const page = await bus.read(topics, from, PAGE);
          if (!page.ok) {
            log.error({ registrationId: registration.id }, 'push fell behind retention; continuing from now');
            await store.setCursor(registration.id, { position: await bus.head(), time: Date.now() });
            continue;
          }
          if (page.events.length === 0) {
            signal ??= live.next().then(() => (signal = undefined));
            await Promise.race([signal, nap(1_000)]);
            live.clear();
            continue;
          }
          for (const event of page.events) {
            if (!running) break;
            await deliver(event);
            await store.setCursor(registration.id, { position: event.position, time: Date.parse(event.timestamp) } satisfies ReadFrom);
          }
        } catch (err) {
          log.warn({ registrationId: registration.id, err: (err as Error).message }, 'push paused by a backend error');
          await nap(1_000);
        }
      }
    } finally {
      await live.return();
    }
  })();

  async function deliver(event: EventEnvelope) {
    const body = JSON.stringify(event);
    let delivery: Delivery = {
      id: newId(),
      registrationId: registration.id,
      eventId: event.id,
      eventType: event.type,
      status: 'PENDING',
      attempts: 0,
      lastError: null,
      firstAttemptAt: null,
      deliveredAt: null,
      latencyMs: null,
    };
    const save = async (status: DeliveryStatus, change: Partial<Delivery> = {}) => {
      delivery = { ...delivery, ...change, status };
      await store.recordDelivery(delivery);
    };
    await save('PENDING');
    while (running) {
      let state = await store.state(registration.id);
      const breaker = breakerAt(state.breaker, settings.breaker, Date.now());
      if (breaker.state === 'OPEN') return giveUp(state, 'circuit breaker open');
      const firstAttemptAt = delivery.firstAttemptAt ?? new Date().toISOString();
      const outcome = await send(body, event, delivery.id);
      const now = Date.now();
      state = { ...state, breaker: afterAttempt(breaker, outcome.kind === 'delivered', settings.breaker, now) };
      const attempts = delivery.attempts + 1;
      if (outcome.kind === 'delivered') {
        await store.setState(registration.id, { ...state, delivered: state.delivered + 1 });
        return save('DELIVERED', { attempts, firstAttemptAt, deliveredAt: new Date(now).toISOString(), latencyMs: now - Date.parse(firstAttemptAt), lastError: null });
      }
      await store.setState(registration.id, state);
      await save('RETRYING', { attempts, firstAttemptAt, lastError: outcome.error });
      if (!outcome.retryable || attempts >= settings.retry.maxAttempts) return giveUp(state, outcome.error);
      await nap(outcome.retryAfterMs ?? backoffMs(attempts, settings.retry));
    }

    async function giveUp(state: EndpointState, reason: string) {
      log.warn({ registrationId: registration.id, eventId: event.id, reason }, 'push given up; falling back to the WebSocket');
      await save('FAILED', { lastError: delivery.lastError ?? reason });
      await deps.fallback(registration, event, reason);
      await store.setState(registration.id, { ...state, failed: state.failed + 1, fallback: state.fallback + 1 });
      await save('FALLBACK');
    }
  }

  async function send(body: string, event: EventEnvelope, deliveryId: string): Promise<AttemptOutcome> {
    let target;
    try {
      target = await resolveTarget(new URL(registration.callbackUrl), settings.urlPolicy);
    } catch (err) {
      const refused = err instanceof RefusedUrl;
      return { kind: 'failed', error: refused ? `refused: ${err.message}` : `dns: ${(err as Error).message}`, retryable: !refused };
    }
    const timestamp = Math.floor(Date.now() / 1000);
    return attempt({
      target,
      body,
      timeoutMs: settings.timeoutMs,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'herald-push',
        'x-herald-event': event.type,
        'x-herald-delivery': deliveryId,
        'x-herald-timestamp': String(timestamp),
        'x-herald-signature': sign(registration.secret, timestamp, body),
      },
    });
  }

  return {
    async stop() {
      running = false;
      wakeUp();
      await done.catch(() => {});
    },
  };
}
