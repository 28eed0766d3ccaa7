import type { Logger } from '../log.js';
import type { RateLimitStore } from './store.js';
import { mergeRules, ruleFor, type Rule, type RuleEntry } from './rules.js';
import type { Refused, SharedWindows, WindowCheck } from './windows.js';
import { createLocalWindows } from './windows.memory.js';

/** Who a limit counts against: a principal id, or `ip:<address>` for anonymous callers. */
export type RateClient = { readonly identity: string; readonly ip: string; readonly bypass: boolean };

export type RateRefusal = { readonly field: string; readonly rule: RuleEntry; readonly retryAfterSeconds: number };

export type RateLimiter = {
  /**
   * Counts an operation's root fields (`Type.field` → calls) for a client; a
   * refusal admits none of them. Undefined at once when no rule applies, so
   * most operations do not wait for a promise.
   */
  check(client: RateClient, fields: ReadonlyMap<string, number>): Promise<RateRefusal | undefined> | undefined;
  rules(): RuleEntry[];
  set(field: string, rule: Rule): Promise<RuleEntry>;
  reset(field: string): Promise<boolean>;
  /** Reads live rules again (another instance changed them). */
  reload(): Promise<void>;
  start(): void;
  stop(): void;
};

type RateLimiterDeps = {
  readonly store: RateLimitStore;
  readonly fileRules: Readonly<Record<string, Rule>>;
  /** Shared windows in Redis mode; null in embedded mode, where the local windows are the limit. */
  readonly shared: SharedWindows | null;
  readonly sharedReady: () => boolean;
  /** How many instances are live, for sharing a limit out while Redis is away. */
  readonly liveInstances: () => Promise<number>;
  /** Tells every instance that the live rules changed. */
  readonly announce: () => Promise<void>;
  readonly onRefused: (client: RateClient, field: string) => void;
  readonly onFallback: (degraded: boolean) => void;
  /** The instance count a limit is split across while Redis is away. */
  readonly onInstances: (count: number) => void;
  /** How often live rules and the instance count are read again. */
  readonly refreshMs: number;
  readonly log: Logger;
};

export function createRateLimiter(deps: RateLimiterDeps): RateLimiter {
  const { store, shared, log } = deps;
  let rules = mergeRules(deps.fileRules, {});
  let instances = 1;
  let degraded = false;
  const local = createLocalWindows();
  let timer: NodeJS.Timeout | undefined;

  const reload = async () => {
    rules = mergeRules(deps.fileRules, await store.all());
  };

  /** The local share of a rule while Redis is away: the limit split across the instances last seen. */
  const share = (rule: Rule): Rule =>
    instances <= 1 ? rule : { windowSeconds: rule.windowSeconds, max: Math.max(1, Math.ceil(rule.max / instances)), burst: Math.ceil(rule.burst / instances) };

  const setDegraded = (value: boolean, reason?: string) => {
    if (value === degraded) return;
    degraded = value;
    if (value) log.warn({ instances, reason }, 'rate limits fall back to local windows while redis is unavailable');
    else log.info('rate limits are shared through redis again');
    deps.onFallback(value);
  };

  async function decide(checks: WindowCheck[]): Promise<Refused | undefined> {
    if (!shared) return local.take(checks);
    if (deps.sharedReady()) {
      try {
        const decision = await shared.take(checks);
        setDegraded(false);
        return decision;
      } catch (err) {
        setDegraded(true, (err as Error).message);
      }
    } else {
      setDegraded(true, 'not connected');
    }
    return local.take(checks.map((c) => ({ ...c, rule: share(c.rule) })));
  }

  return {
    check(client, fields) {
      if (client.bypass) return undefined;
      const checks: Array<WindowCheck & { readonly field: string; readonly rule: RuleEntry }> = [];
      for (const [field, cost] of fields) {
        const rule = ruleFor(rules, field);
        if (rule) checks.push({ field, key: `${field}|${client.identity}`, rule, cost });
      }
      if (checks.length === 0) return undefined;
      return decide(checks).then((refused) => {
        if (!refused) return undefined;
        const { field, rule } = checks[refused.index]!;
        deps.onRefused(client, field);
        return { field, rule, retryAfterSeconds: Math.max(1, Math.ceil(refused.retryAfterMs / 1000)) };
      });
    },
    rules: () => [...rules.values()].sort((a, b) => a.field.localeCompare(b.field)),
    async set(field, rule) {
      await store.set(field, rule);
      await reload();
      await deps.announce();
      return rules.get(field)!;
    },
    async reset(field) {
      const removed = await store.remove(field);
      await reload();
      if (removed) await deps.announce();
      return removed;
    },
    reload,
    start() {
      const refresh = async () => {
        try {
          instances = Math.max(1, await deps.liveInstances());
          deps.onInstances(instances);
          await reload();
        } catch {
          // Redis is away (the directory cannot be read): keep the last rules and instance count.
        }
      };
      void refresh();
      timer = setInterval(() => {
        void refresh();
        local.sweep(Date.now(), Math.max(...[...rules.values()].map((r) => r.windowSeconds)));
      }, deps.refreshMs);
      timer.unref();
    },
    stop: () => clearInterval(timer),
  };
}
