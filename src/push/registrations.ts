import { randomBytes } from 'node:crypto';
import { compareVersions } from '../auth/client-version.js';
import { requireRead } from '../auth/guards.js';
import type { Principal } from '../auth/principal.js';
import { badInput, HeraldError, notFound } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import { Topics } from '../events/topics.js';
import { newId } from '../ids.js';
import { parseId, parseInput } from '../input.js';
import type { Audit } from '../log.js';
import type { Closing } from '../sessions/close-codes.js';
import { deliveriesArgs, registerCliInput } from './input.js';
import type { CliRegistration, CliStore, Delivery, DeliveryStatus, EndpointState } from './store.js';
import { RefusedUrl, parseCallbackUrl, resolveTarget, type UrlPolicy } from './url-policy.js';

export type Endpoint = { readonly registration: CliRegistration; readonly state: EndpointState };
export type PushRegistrations = ReturnType<typeof createPushRegistrations>;

const isAdmin = (p: Principal) => p.kind === 'admin' || p.kind === 'anonymous';

/**
 * CLI push endpoints as their owners see them: register (the URL checked
 * against the push policy), deregister, list with health, read deliveries.
 * Each owner sees only its own; the admin sees all.
 */
export function createPushRegistrations(deps: {
  store: CliStore;
  bus: EventBus;
  urlPolicy: UrlPolicy;
  minCliVersion: string | undefined;
  /** Registrations one principal may hold (PUSH_MAX_REGISTRATIONS_PER_OWNER). */
  maxPerOwner: number;
  /** Tells the dispatcher that registrations changed. */
  poke: () => void;
  /** Whether this instance is the one pushing. */
  isPushing: () => boolean;
  /** Whether the key the caller authenticated with still holds: undefined, or why not. */
  credentialCheck: (principal: Principal) => Promise<Closing | undefined>;
  audit: Audit;
}) {
  const { store, bus, urlPolicy, minCliVersion, audit } = deps;

  /** A registration the caller owns (or any, for the admin); NOT_FOUND otherwise, so ids do not leak. */
  async function own(principal: Principal, id: string): Promise<CliRegistration> {
    const registration = await store.get(id);
    if (!registration || (!isAdmin(principal) && registration.ownerId !== principal.id)) throw notFound('CLI registration', id);
    return registration;
  }

  return {
    async register(principal: Principal, rawInput: unknown): Promise<CliRegistration> {
      // A registration outlives the request that made it, and a token cannot be revoked, only wait out; a key can.
      if (principal.kind === 'user') throw new HeraldError('FORBIDDEN', 'CLI push registrations need an API key (with cli:register), not a user token');
      const input = parseInput(registerCliInput, rawInput);
      if (minCliVersion && (compareVersions(input.clientVersion, minCliVersion) ?? 0) < 0) throw badInput('clientVersion', `herald-cli ${minCliVersion} or newer is required`);
      for (const r of input.repositories) requireRead(principal, r);
      try {
        await resolveTarget(parseCallbackUrl(input.callbackUrl, urlPolicy), urlPolicy);
      } catch (err) {
        if (err instanceof RefusedUrl) throw new HeraldError('BAD_USER_INPUT', `callbackUrl: ${err.message}`, { field: 'callbackUrl', rule: err.rule });
        throw badInput('callbackUrl', 'cannot be resolved (dns failure)');
      }
      const registration: CliRegistration = {
        id: newId(),
        ownerId: principal.id,
        name: input.name ?? null,
        callbackUrl: input.callbackUrl,
        repositories: [...new Set(input.repositories)],
        secret: randomBytes(32).toString('base64url'),
        clientVersion: input.clientVersion,
        createdAt: new Date().toISOString(),
      };
      // Pushing starts with what is published from now on.
      const created = await store.create(registration, { position: await bus.head(), time: Date.now() }, deps.maxPerOwner);
      if (!created) {
        throw new HeraldError('BAD_USER_INPUT', `registerCli: at most ${deps.maxPerOwner} push registrations per principal (PUSH_MAX_REGISTRATIONS_PER_OWNER); deregister one first`, {
          rule: 'limit',
          limit: deps.maxPerOwner,
        });
      }
      // A revocation between authenticating this request and storing the registration found nothing to
      // deregister: look again now that it is stored (a revocation after this look finds it).
      const revoked = await deps.credentialCheck(principal);
      if (revoked) {
        await store.delete(registration.id);
        throw new HeraldError('FORBIDDEN', revoked.reason);
      }
      audit({ action: 'registerCli', principal: principal.id, registrationId: registration.id, callbackUrl: registration.callbackUrl });
      deps.poke();
      return registration;
    },

    async deregister(principal: Principal, rawId: string | number): Promise<boolean> {
      const registration = await own(principal, parseId(rawId, 'id'));
      const deleted = await store.delete(registration.id);
      audit({ action: 'deregisterCli', principal: principal.id, registrationId: registration.id });
      deps.poke();
      return deleted;
    },

    /** Every endpoint for the admin, the caller's own otherwise, with how each is doing. */
    async endpoints(principal: Principal): Promise<Endpoint[]> {
      const all = await store.list();
      const visible = isAdmin(principal) ? all : all.filter((r) => r.ownerId === principal.id);
      return Promise.all(visible.map(async (registration) => ({ registration, state: await store.state(registration.id) })));
    },

    /** The newest deliveries to a registration the caller owns. */
    async deliveries(principal: Principal, status: DeliveryStatus | null, args: unknown): Promise<Delivery[]> {
      const { registrationId, first } = parseInput(deliveriesArgs, args);
      const registration = await own(principal, registrationId);
      return store.deliveries(registration.id, status, first);
    },

    /** The topic of events pushing gave up on, for the registration named or the one the connection belongs to. */
    async notificationTopic(principal: Principal, named: string | number | null | undefined, ofConnection: string | null): Promise<string> {
      const id = named ? String(named) : ofConnection;
      if (!id) throw badInput('registrationId', 'is required unless connection_init named a cliRegistrationId');
      return Topics.cli((await own(principal, parseId(id, 'registrationId'))).id);
    },

    /** The first `first` endpoints (oldest first) with how each is doing, for operators. */
    async overview(first: number): Promise<Endpoint[]> {
      const registrations = (await store.list()).slice(0, first);
      return Promise.all(registrations.map(async (registration) => ({ registration, state: await store.state(registration.id) })));
    },

    /** Every endpoint's counters, cluster-wide, and whether this instance is the one pushing. */
    async stats(): Promise<{ pushing: boolean; endpoints: EndpointState[] }> {
      const registrations = await store.list();
      return { pushing: deps.isPushing(), endpoints: await Promise.all(registrations.map((r) => store.state(r.id))) };
    },
  };
}
