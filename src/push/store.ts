import type { ReadFrom } from '../events/bus.js';
import type { BreakerState } from './policy.js';

/** A CLI's push endpoint. The secret is kept (not hashed) because Herald signs with it. */
export type CliRegistration = {
  readonly id: string;
  readonly ownerId: string;
  readonly name: string | null;
  readonly callbackUrl: string;
  readonly repositories: readonly string[];
  readonly secret: string;
  readonly clientVersion: string;
  readonly createdAt: string;
};

export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'RETRYING' | 'FAILED' | 'FALLBACK';

export type Delivery = {
  readonly id: string;
  readonly registrationId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly firstAttemptAt: string | null;
  readonly deliveredAt: string | null;
  /** From the first attempt to the 2xx. */
  readonly latencyMs: number | null;
};

export type EndpointState = {
  readonly breaker: BreakerState;
  readonly healthy: boolean | null;
  /** Why the last health check failed, in a few generic words (`HTTP 404`, `connection refused`, ...); null after a success. */
  readonly lastHealthError: string | null;
  readonly lastHealthCheckAt: string | null;
  /** Since when health checks cannot reach the endpoint (epoch ms). */
  readonly unreachableSince: number | null;
  readonly delivered: number;
  readonly failed: number;
  readonly fallback: number;
  /**
   * Events the pushing instance has read from the log and not yet delivered
   * or given up, the one being sent included: at most one read (100); 0 when
   * it is caught up. Absent in states written before it was kept.
   */
  readonly backlog?: number;
};

export const NEW_ENDPOINT: EndpointState = {
  breaker: { state: 'CLOSED', failures: 0, openedAt: null },
  healthy: null,
  lastHealthError: null,
  lastHealthCheckAt: null,
  unreachableSince: null,
  delivered: 0,
  failed: 0,
  fallback: 0,
  backlog: 0,
};

/**
 * The fencing token of the lead a write is made for (see leader.ts): the write
 * is refused with Deposed once a newer lead has begun. The memory store serves
 * one process, where no other lead can begin, and ignores it.
 */
export type Fence = number | undefined;

/** What a push step changed besides its delivery record, and the lead it was made in. */
type PushProgress = { readonly state?: Partial<EndpointState>; readonly cursor?: ReadFrom; readonly fence?: Fence };

/** Deliveries kept per registration for `deliveries`. */
export const KEPT_DELIVERIES = 1000;

export interface CliStore {
  /**
   * Stores a new registration that pushing starts at `from`. With
   * `maxPerOwner`, only while its owner holds fewer registrations than that
   * (checked and stored in one step); null when the owner is at the limit.
   */
  create(registration: CliRegistration, from: ReadFrom, maxPerOwner?: number): Promise<CliRegistration | null>;
  get(id: string): Promise<CliRegistration | null>;
  /** Every registration, by id (that is, in creation order). */
  list(): Promise<CliRegistration[]>;
  delete(id: string): Promise<boolean>;
  /** Deletes every registration the principal owns, each as `delete` does; returns their ids. */
  deleteByOwner(ownerId: string): Promise<string[]>;
  /** Where pushing resumes: right after the last event delivered or given up. */
  cursor(id: string): Promise<ReadFrom | null>;
  setCursor(id: string, from: ReadFrom, fence?: Fence): Promise<void>;
  state(id: string): Promise<EndpointState>;
  /** Sets the given fields and keeps the others: pushing and health checks each change their own. */
  updateState(id: string, change: Partial<EndpointState>, fence?: Fence): Promise<void>;
  /**
   * Keeps a delivery (the newest KEPT_DELIVERIES per registration) and, in the
   * same write, the endpoint state fields the step changed and, once the event
   * is done with, the cursor. Nothing is kept for a deleted registration.
   */
  recordDelivery(delivery: Delivery, progress?: PushProgress): Promise<void>;
  /** One delivery by its id (kept ones only); null when there is none. */
  delivery(registrationId: string, id: string): Promise<Delivery | null>;
  /** Newest first. */
  deliveries(registrationId: string, status: DeliveryStatus | null, first: number): Promise<Delivery[]>;
}
