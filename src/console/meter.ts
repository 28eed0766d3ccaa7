import type { Counters } from '../cluster/view.js';
import { TRAFFIC_FAMILIES, type TrafficFamily, type TrafficReport } from '../cluster/directory.js';
import { familyOf, type TopicFamily } from '../events/topics.js';
import { LATENCY_BUCKETS_SECONDS } from '../metrics.js';

/** How many seconds of traffic a report covers: rates are averaged over them. */
export const TRAFFIC_WINDOW_SECONDS = 5;

type Totals = {
  readonly at: number;
  readonly published: Record<TrafficFamily, number>;
  readonly delivered: Record<TrafficFamily, number>;
  readonly latency: Record<TrafficFamily, number[]>;
  readonly connects: number;
  readonly disconnects: number;
  readonly rateLimitRefusals: number;
  readonly slowConsumerDisconnects: number;
  readonly eventsDropped: number;
};

const perFamily = <T>(make: () => T) => Object.fromEntries(TRAFFIC_FAMILIES.map((f) => [f, make()])) as Record<TrafficFamily, T>;
const ALERT_TYPE = 'alert.';

/** The console's family of an event: its topic's, except that alerts are told apart from other channel events. */
export function trafficFamilyOf(topic: string, type: string | undefined): TrafficFamily {
  return trafficFamily(familyOf(topic), type);
}

/** The console's family of an event whose topic's family is already known. */
function trafficFamily(family: TopicFamily | undefined, type: string | undefined): TrafficFamily {
  switch (family) {
    case 'repo':
      return 'TASKS';
    case 'gateway':
      return 'GATEWAYS';
    case 'channel':
      return type?.startsWith(ALERT_TYPE) ? 'ALERTS' : 'CHANNELS';
    default:
      return 'OTHER';
  }
}

export type TrafficMeter = ReturnType<typeof createTrafficMeter>;

/**
 * Counts this instance's traffic for the console: events published and
 * delivered per family, delivery latency in the buckets of the Prometheus
 * histogram, and (from the instance's counters) connections opened and
 * closed, rate-limit refusals, slow-consumer disconnects and dropped events.
 * Once a second it notes the running totals; a report is the difference
 * between now and the totals of TRAFFIC_WINDOW_SECONDS ago. The cost per
 * delivery is two array increments.
 */
export function createTrafficMeter(counters: Counters, now: () => number = Date.now) {
  const published = perFamily(() => 0);
  const delivered = perFamily(() => 0);
  const latency = perFamily(() => new Array<number>(LATENCY_BUCKETS_SECONDS.length + 1).fill(0));
  /** Totals noted once a second, oldest first, at most a window's worth. */
  const noted: Totals[] = [];
  let timer: NodeJS.Timeout | undefined;
  // A fanned-out event is the same object for each subscriber, and a batch shares its timestamp: parsed once per run.
  let lastTimestamp = '';
  let lastAt = 0;

  const totals = (): Totals => ({
    at: now(),
    published: { ...published },
    delivered: { ...delivered },
    latency: perFamily(() => []),
    connects: counters.connectionsOpened,
    disconnects: counters.connectionsClosed,
    rateLimitRefusals: counters.rateLimitRefusals,
    slowConsumerDisconnects: counters.slowConsumerDisconnects,
    eventsDropped: counters.eventsDropped,
  });
  const withLatency = (t: Totals): Totals => {
    for (const f of TRAFFIC_FAMILIES) t.latency[f] = [...latency[f]];
    return t;
  };
  const note = () => {
    noted.push(withLatency(totals()));
    while (noted.length > TRAFFIC_WINDOW_SECONDS + 1) noted.shift();
  };
  const started = withLatency(totals());

  return {
    published(topic: string, type: string | undefined, count: number) {
      published[trafficFamilyOf(topic, type)] += count;
    },
    /** `topicFamily` and `at` (the time of delivery) are worked out once per delivery by the caller, which shares them with the metrics. */
    delivered(event: { readonly topic: string; readonly type?: string; readonly timestamp: string }, topicFamily: TopicFamily | undefined, at: number) {
      const family = trafficFamily(topicFamily, event.type);
      delivered[family]++;
      if (event.timestamp !== lastTimestamp) {
        lastTimestamp = event.timestamp;
        lastAt = Date.parse(event.timestamp);
      }
      const seconds = (at - lastAt) / 1000;
      let bucket = 0;
      while (bucket < LATENCY_BUCKETS_SECONDS.length && seconds > LATENCY_BUCKETS_SECONDS[bucket]!) bucket++;
      latency[family][bucket]!++;
    },
    /** The traffic since the oldest totals noted within the window (since start, at first). */
    report(): TrafficReport {
      const current = withLatency(totals());
      const from = noted.find((t) => current.at - t.at <= TRAFFIC_WINDOW_SECONDS * 1000 + 500) ?? started;
      const diff = (a: Record<TrafficFamily, number>, b: Record<TrafficFamily, number>) => perFamilyFrom((f) => a[f] - b[f]);
      return {
        windowSeconds: Math.max(1, (current.at - from.at) / 1000),
        published: diff(current.published, from.published),
        delivered: diff(current.delivered, from.delivered),
        latency: perFamilyFrom((f) => current.latency[f].map((n, i) => n - (from.latency[f][i] ?? 0))),
        connects: current.connects - from.connects,
        disconnects: current.disconnects - from.disconnects,
        rateLimitRefusals: current.rateLimitRefusals - from.rateLimitRefusals,
        slowConsumerDisconnects: current.slowConsumerDisconnects - from.slowConsumerDisconnects,
        eventsDropped: current.eventsDropped - from.eventsDropped,
      };
    },
    start() {
      timer ??= setInterval(note, 1000);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}

const perFamilyFrom = <T>(value: (family: TrafficFamily) => T) => Object.fromEntries(TRAFFIC_FAMILIES.map((f) => [f, value(f)])) as Record<TrafficFamily, T>;
