import { join } from 'node:path';
import { ConfigError } from '../app/config';
import type { EventStore } from '../eventstore/port';
import { ErasureFollower } from './erasure-follower';
import { createMongoKeyStore } from './keystore/mongo';
import type { KeyStore } from './keystore/port';
import { SqliteKeyStore } from './keystore/sqlite';
import {
  loadMasterKeys,
  MasterKeyError,
  type MasterKeys,
  type MasterKeySettings,
} from './master-keys';
import { PiiVault, type PiiVaultOptions } from './vault';

/** The configuration the privacy layer reads (a subset of the app's Config). */
export interface PrivacySettings extends MasterKeySettings {
  MONGODB_URI?: string | undefined;
  MONGODB_DB: string;
}

export interface PrivacyOptions extends PiiVaultOptions {
  /** Follow LeadForgotten in the log (default true; off for one-shot tools). */
  followErasures?: boolean;
  warn?: (message: string) => void;
  onError?: (error: unknown) => void;
}

/** The key store on the read-store backend: MongoDB beside the read models, or DATA_DIR/keys.db. */
export const openKeyStore = (settings: PrivacySettings): Promise<KeyStore> =>
  settings.MONGODB_URI
    ? createMongoKeyStore(settings.MONGODB_URI, settings.MONGODB_DB)
    : Promise.resolve(new SqliteKeyStore(join(settings.DATA_DIR, 'keys.db')));

/** MASTER_KEY and MASTER_KEY_PREVIOUS (a development key under DATA_DIR without them). */
export const openMasterKeys = (
  settings: MasterKeySettings,
  warn: (message: string) => void = (message) => console.warn(`privacy: ${message}`),
): MasterKeys => {
  try {
    return loadMasterKeys(settings, warn);
  } catch (error) {
    if (error instanceof MasterKeyError) throw new ConfigError(error.message);
    throw error;
  }
};

/** A vault and the follower that finishes erasures: closing the vault stops both. */
class FollowedVault extends PiiVault {
  follower: ErasureFollower | undefined;

  override async close(): Promise<void> {
    await this.follower?.stop();
    await super.close();
  }
}

/**
 * What the composition root calls: the event store with personal data encrypted per lead
 * (see vault.ts), keys on the read-store backend, and the erasure follower running. Closing
 * the result closes `events` and the key store.
 */
export const withPrivacy = async (
  events: EventStore,
  settings: PrivacySettings,
  options: PrivacyOptions = {},
): Promise<PiiVault> => {
  const master = openMasterKeys(settings, options.warn);
  const keys = await openKeyStore(settings);
  const vault = new FollowedVault(events, keys, master, options);
  if (options.followErasures ?? true) {
    vault.follower = new ErasureFollower(events, vault.keys, { onError: options.onError });
    vault.follower.start();
  }
  return vault;
};
