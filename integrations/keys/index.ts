import path from 'node:path';
import type { Config } from '../../common/config';
import { parsePayloadKeyList } from '../../common/payload-codec';
import { ManageKeyStore } from './manage-key-store';

export * from './manage-key-store';

export type ManageKeyStoreConfig = Pick<
  Config,
  'MANAGE_KEYS_KEK' | 'MANAGE_KEYS_KEK_ID' | 'MANAGE_KEYS_PREVIOUS_KEKS' | 'MANAGE_KEYS_DIR' | 'dataDir'
>;

/**
 * The Comuni's manage-key store the configuration describes, shared by the API (which verifies and records keys)
 * and the worker (whose activities read them at call time). Undefined without a KEK.
 */
export function manageKeyStoreFromConfig(config: ManageKeyStoreConfig): ManageKeyStore | undefined {
  if (!config.MANAGE_KEYS_KEK) return undefined;
  return new ManageKeyStore(config.MANAGE_KEYS_DIR ?? path.join(config.dataDir, 'manage-keys'), {
    current: { id: config.MANAGE_KEYS_KEK_ID, key: Buffer.from(config.MANAGE_KEYS_KEK, 'base64') },
    previous: parsePayloadKeyList(config.MANAGE_KEYS_PREVIOUS_KEKS),
  });
}
