import type { Scope } from './scope-names.js';

/** A service API key as stored: never the secret, only its SHA-256. */
export type ApiKeyRecord = {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly Scope[];
  readonly secretHash: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
};

export interface ApiKeyStore {
  create(key: ApiKeyRecord): Promise<ApiKeyRecord>;
  get(id: string): Promise<ApiKeyRecord | null>;
  /** Every key, by id (that is, in creation order). */
  list(): Promise<ApiKeyRecord[]>;
  /** Marks the key revoked; returns it, or null when there is no such key. */
  revoke(id: string, at: string): Promise<ApiKeyRecord | null>;
}
