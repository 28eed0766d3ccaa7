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
  lastHealthCheckAt: null,
  unreachableSince: null,
  delivered: 0,
  failed: 0,
  fallback: 0,
  backlog: 0,
};

/** What a push step changed besides its delivery record. */
type PushProgress = { readonly state?: Partial<EndpointState>; readonly cursor?: ReadFrom };

/** Deliveries kept per registration for `deliveries`. */
export const KEPT_DELIVERIES = 1000;

export interface CliStore {
  create(registration: CliRegistration, from: ReadFrom): Promise<CliRegistration>;
  get(id: string): Promise<CliRegistration | null>;
  /** Every registration, by id (that is, in creation order). */
  list(): Promise<CliRegistration[]>;
  delete(id: string): Promise<boolean>;
  /** Deletes every registration the principal owns, each as `delete` does; returns their ids. */
  deleteByOwner(ownerId: string): Promise<string[]>;
  /** Where pushing resumes: right after the last event delivered or given up. */
  cursor(id: string): Promise<ReadFrom | null>;
  setCursor(id: string, from: ReadFrom): Promise<void>;
  state(id: string): Promise<EndpointState>;
  /** Sets the given fields and keeps the others: pushing and health checks each change their own. */
  updateState(id: string, change: Partial<EndpointState>): Promise<void>;
  /**
   * Keeps a delivery (the newest KEPT_DELIVERIES per registration) and, in the
   * same write, the endpoint state fields the step changed and, once the event
   * is done with, the cursor. Nothing is kept for a deleted registration.
   */
  recordDelivery(delivery: Delivery, progress?: PushProgress): Promise<void>;
  /** Newest first. */
  deliveries(registrationId: string, status: DeliveryStatus | null, first: number): Promise<Delivery[]>;
}
