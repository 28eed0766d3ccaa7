import { derivedId } from '../ids.js';
import type { EventBus, ReadFrom } from '../events/bus.js';
import type { EventEnvelope } from '../events/envelope.js';
import type { Hub } from '../events/hub.js';
import { pastEvent, spansTopics } from '../events/read-point.js';
import type { SharedLogReader, TopicsReader } from '../events/shared-reader.js';
import type { EventStream } from '../events/stream.js';
import { Topics } from '../events/topics.js';
import type { Logger } from '../log.js';
import { NEW_ENDPOINT, type CliRegistration, type CliStore, type Delivery, type EndpointState } from './store.js';
import { attempt, targetFailure } from './attempt.js';
import { Deposed } from './leader.js';
import { afterAttempt, backoffMs, breakerAt, type AttemptOutcome, type BreakerSettings, type BreakerState, type RetrySettings } from './policy.js';
import { sign } from './signature.js';
import { endpointConnection } from './connection.js';
import type { UrlPolicy } from './url-policy.js';

export type PushSettings = {
  readonly timeoutMs: number;
  readonly retry: RetrySettings;
  readonly breaker: BreakerSettings;
  readonly urlPolicy: UrlPolicy;
  readonly healthIntervalMs: number;
  readonly endpointExpiryMs: number;
  /** How long the pushing instance's lock lasts without renewal: the longest a takeover waits. */
  readonly leaderTtlMs: number;
  /** Registrations one principal may hold. */
  readonly maxRegistrationsPerOwner: number;
};

export type WorkerDeps = {
  readonly bus: EventBus;
  readonly hub: Hub;
  readonly store: CliStore;
  readonly settings: PushSettings;
  readonly log: Logger;
  /**
   * Hands an event the endpoint did not take to the CLI's WebSocket
   * (cliNotifications, kept in the log for a later `after:`); true when a live
   * subscription of the registration, on any instance, was there to take it.
   */
  readonly fallback: (registration: CliRegistration, event: EventEnvelope, reason: string) => Promise<boolean>;
  /** Each attempt's outcome and duration, each event's final outcome, and breaker changes, for the metrics. */
  readonly observe?: PushObserver;
};

export type PushObserver = {
  attempt(delivered: boolean, seconds: number): void;
  outcome(outcome: 'delivered' | 'fallback' | 'failed'): void;
  breaker(from: BreakerState['state'] | null, to: BreakerState['state'] | null): void;
  /** The endpoint's backlog changed by `delta` events. */
  backlog(delta: number): void;
};

/** The lead a worker pushes for (see dispatcher.ts). */
export type Lead = {
  /** Its fencing token, handed with every write. */
  readonly fence: number;
  /** False once this instance's lease has run out: nothing more may be sent until the lead is renewed. */
  readonly mayPush: () => boolean;
  /** A write was refused: another instance has taken over. */
  readonly deposed: () => void;
};

const PAGE = 100;

/** How often a worker whose lease ran out looks again whether it may go on. */
const LEASE_WAIT_MS = 100;

/**
 * The delivery id of an event for a registration: the same on every attempt
 * and on whichever instance makes it, so a receiver that saw it once can drop
 * any later copy (X-Herald-Delivery). Its time part is the event's.
 */
export const deliveryId = (registrationId: string, event: EventEnvelope) => derivedId(Date.parse(event.timestamp), `${registrationId}\n${event.id}`);

/**
 * How long an idle worker waits for a live event before it reads the log
 * anyway: only for events whose live copy never came (this instance's Redis
 * subscription was reconnecting when they were published).
 */
export const IDLE_POLL_MS = 30_000;

/** The part of an endpoint's state that pushing changes; the rest belongs to the health check. */
type Counters = Pick<EndpointState, 'breaker' | 'delivered' | 'failed' | 'fallback' | 'backlog'>;

// Every endpoint gets the same bytes of an event, so it is serialized once
// however many registrations send it (the log hands out the same object).
const bodies = new WeakMap<EventEnvelope, string>();
function bodyOf(event: EventEnvelope): string {
  let body = bodies.get(event);
  if (body === undefined) bodies.set(event, (body = JSON.stringify(event)));
  return body;
}

/**
 * Pushes one registration's events, in order: event n+1 is not sent before n
 * was delivered or given up. Progress is a cursor in the store, advanced with
 * the last record of each event, so another instance that takes over
 * continues where this one stopped, under the same delivery id and counting
 * the attempts made before. Events come from the log, so nothing published
 * while the endpoint was slow, or while no instance was pushing, is lost.
 * Every write carries the lead's fencing token: once another instance has
 * taken over, the first write is refused and the worker stops.
 */
export function startWorker(registration: CliRegistration, deps: WorkerDeps, lead: Lead, logs: SharedLogReader): { stop(): Promise<void> } {
  const { bus, hub, store, settings, log } = deps;
  const topics = registration.repositories.includes('*') ? [Topics.wildcard('repo')] : registration.repositories.map(Topics.repo);
  // Where one position cannot say how far a worker got (read-point.ts), its cursor names one per topic,
  // and it reads the log itself: the shared window is cut by position.
  const perTopic = bus.positionsInOrder === false && spansTopics(topics);
  // Workers of the same topics read the log once between them (shared-reader.ts).
  const reader: TopicsReader = perTopic ? { read: (after, limit) => bus.read(topics, after, limit), close() {} } : logs.open(topics);
  const endpoint = endpointConnection(registration.callbackUrl, settings.urlPolicy, { timeoutMs: settings.timeoutMs });
  let running = true;
  const idle = () => {};
  /** Ends the current nap: on stop, and (when it asked for that) on a live event. */
  let wakeUp = idle;
  let wakeOnEvent = idle;
  const nap = (ms: number, untilEvent = false) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wakeUp = wakeOnEvent = idle;
        resolve();
      };
      const timer = setTimeout(done, ms);
      wakeUp = done;
      if (untilEvent) wakeOnEvent = done;
    });

  // Where reading continues, and the breaker and counters. This worker is the
  // only one changing them while it runs, so they are read from the store when
  // it starts (and after a backend error) and otherwise kept here.
  let from: ReadFrom | null = null;
  let counters: Counters = NEW_ENDPOINT;
  /** The breaker state last told to the metrics (null: this worker counts in none). */
  let shownBreaker: BreakerState['state'] | null = null;
  const breakerSeen = (state: BreakerState['state'] | null) => {
    if (state === shownBreaker) return;
    deps.observe?.breaker(shownBreaker, state);
    shownBreaker = state;
  };
  let shownBacklog = 0;
  const backlogSeen = (backlog: number | undefined) => {
    const delta = (backlog ?? 0) - shownBacklog;
    if (delta === 0) return;
    deps.observe?.backlog(delta);
    shownBacklog += delta;
  };
  let loaded = false;
  /** Whether the next event may have a delivery record already (made before a restart or by an earlier leader). */
  let resuming = true;

  const done = (async () => {
    // Live events only wake the loop; what to send is always read from the log.
    let live: EventStream | undefined;
    // At most one read of the stream is outstanding, so no arrival goes to a waiter nobody listens to.
    let arrived = false;
    let watching = false;
    const watch = (stream: EventStream) => {
      if (watching) return;
      watching = true;
      void stream.next().then(
        (next) => {
          watching = false;
          if (next.done) {
            // The hub ended the stream: open another one soon rather than at the idle poll.
            if (live === stream) live = undefined;
            setTimeout(() => wakeOnEvent(), 1_000).unref();
            return;
          }
          arrived = true;
          wakeOnEvent();
        },
        () => {
          // The stream ended on a gap (the hub's): open another one soon; the log is read all the same.
          watching = false;
          if (live === stream) live = undefined;
          setTimeout(() => wakeOnEvent(), 1_000).unref();
        },
      );
    };
    try {
      while (running) {
        try {
          live ??= await hub.open(topics, { maxQueued: 1_000_000, onOverflow: () => {}, internal: true });
          if (!loaded) {
            const { breaker, delivered, failed, fallback, backlog } = await store.state(registration.id);
            counters = { breaker, delivered, failed, fallback, backlog };
            loaded = true;
            resuming = true;
          }
          from ??= (await store.cursor(registration.id)) ?? { position: await bus.head(), time: Date.now() };
          // Whatever is published from here on is either in this read or wakes the next one.
          arrived = false;
          live.clear();
          watch(live);
          const page = await reader.read(from, PAGE);
          if (!page.ok) {
            log.error({ registrationId: registration.id }, 'push fell behind retention; continuing from now');
            from = { position: await bus.head(), time: Date.now() };
            await store.setCursor(registration.id, from, lead.fence);
            continue;
          }
          for (const [i, event] of page.events.entries()) {
            // Written with the event's delivery records: this one and those behind it, then those behind it.
            counters = { ...counters, backlog: page.events.length - i };
            backlogSeen(counters.backlog);
            const next = running ? await deliver(event, page.events.length - i - 1) : undefined;
            if (!next) break;
            from = next;
          }
          // Idle: the next read waits for a live event of these topics.
          if (!page.hasMore && !arrived && running) await nap(IDLE_POLL_MS, true);
        } catch (err) {
          if (err instanceof Deposed) {
            running = false;
            lead.deposed();
            break;
          }
          log.warn({ registrationId: registration.id, err: (err as Error).message }, 'push paused by a backend error');
          // A write may not have happened: start again from what the store holds.
          from = null;
          loaded = false;
          await nap(1_000);
        }
      }
    } finally {
      await live?.return();
      reader.close();
      endpoint.close();
    }
  })();

  /** Delivers the event or gives it up, and returns the cursor past it; undefined when the worker stopped first. */
  async function deliver(event: EventEnvelope, behind: number): Promise<ReadFrom | undefined> {
    const body = bodyOf(event);
    const cursor = pastEvent(from, event, perTopic);
    const id = deliveryId(registration.id, event);
    // The first event after a start may be the one an earlier worker (here or on the instance this one took over from) was on.
    const earlier = resuming ? await store.delivery(registration.id, id) : null;
    resuming = false;
    let delivery: Delivery =
      earlier && (earlier.status === 'PENDING' || earlier.status === 'RETRYING')
        ? earlier
        : {
            id,
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
    // One write per outcome: a delivery is first recorded with its first
    // attempt's result, not before it as well (that doubled the writes of
    // every push). Another instance taking over meanwhile finds no record and
    // starts the event afresh under the same delivery id, as it would from a
    // PENDING one. Only an event held back by a lapsed lease shows PENDING.
    let recorded = delivery === earlier;
    while (running) {
      if (!lead.mayPush()) {
        if (!recorded) await store.recordDelivery(delivery, { fence: lead.fence });
        recorded = true;
        await nap(LEASE_WAIT_MS);
        continue;
      }
      const breaker = breakerAt(counters.breaker, settings.breaker, Date.now());
      breakerSeen(breaker.state);
      if (breaker.state === 'OPEN') return giveUp('circuit breaker open');
      const firstAttemptAt = delivery.firstAttemptAt ?? new Date().toISOString();
      const startedAt = performance.now();
      const outcome = await send(body, event, delivery.id);
      const now = Date.now();
      deps.observe?.attempt(outcome.kind === 'delivered', (performance.now() - startedAt) / 1000);
      const attempts = delivery.attempts + 1;
      const after = afterAttempt(breaker, outcome.kind === 'delivered', settings.breaker, now);
      breakerSeen(after.state);
      if (outcome.kind === 'delivered') {
        deps.observe?.outcome('delivered');
        counters = { ...counters, breaker: after, delivered: counters.delivered + 1, backlog: behind };
        backlogSeen(behind);
        delivery = { ...delivery, status: 'DELIVERED', attempts, firstAttemptAt, deliveredAt: new Date(now).toISOString(), latencyMs: now - Date.parse(firstAttemptAt), lastError: null };
        await store.recordDelivery(delivery, { state: counters, cursor, fence: lead.fence });
        return cursor;
      }
      log.debug({ registrationId: registration.id, eventId: event.id, attempts, reason: outcome.error, detail: outcome.detail }, 'push attempt failed');
      counters = { ...counters, breaker: after };
      delivery = { ...delivery, status: 'RETRYING', attempts, firstAttemptAt, lastError: outcome.error };
      await store.recordDelivery(delivery, { state: counters, fence: lead.fence });
      if (!outcome.retryable || attempts >= settings.retry.maxAttempts) return giveUp(outcome.error);
      await nap(outcome.retryAfterMs ?? backoffMs(attempts, settings.retry));
    }
    return undefined;

    /**
     * Hands the event to the fallback, then records the outcome with the
     * cursor past it, in one write: FALLBACK when a live cliNotifications
     * subscription took it, FAILED when none was listening.
     */
    async function giveUp(reason: string): Promise<ReadFrom | undefined> {
      while (running && !lead.mayPush()) await nap(LEASE_WAIT_MS);
      if (!running) return undefined;
      const taken = await deps.fallback(registration, event, reason);
      log.warn({ registrationId: registration.id, eventId: event.id, reason }, taken ? 'push given up; handed to the WebSocket' : 'push given up; no WebSocket of the CLI is listening');
      deps.observe?.outcome(taken ? 'fallback' : 'failed');
      counters = { ...counters, failed: counters.failed + 1, fallback: counters.fallback + (taken ? 1 : 0), backlog: behind };
      backlogSeen(behind);
      delivery = { ...delivery, status: taken ? 'FALLBACK' : 'FAILED', lastError: delivery.lastError ?? reason };
      await store.recordDelivery(delivery, { state: counters, cursor, fence: lead.fence });
      return cursor;
    }
  }

  async function send(body: string, event: EventEnvelope, deliveryId: string): Promise<AttemptOutcome> {
    let connection;
    try {
      connection = await endpoint.get();
    } catch (err) {
      return targetFailure(err);
    }
    const timestamp = Math.floor(Date.now() / 1000);
    const outcome = await attempt(
      {
        target: connection.target,
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
      },
      { client: connection.client, wasOpen: connection.isOpen() },
    );
    // No HTTP answer at all: check the name again before the next attempt.
    if (outcome.kind === 'failed' && outcome.status === undefined) endpoint.reset();
    return outcome;
  }

  return {
    async stop() {
      running = false;
      wakeUp();
      await done.catch(() => {});
      breakerSeen(null);
      backlogSeen(0);
    },
  };
}
