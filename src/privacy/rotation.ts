import type { KeyStore } from './keystore/port';
import { MasterKeyError, type MasterKeys } from './master-keys';

export interface RotationReport {
  /** Keys now wrapped by the current master key that were not before. */
  rewrapped: number;
  /** Keys that already were. */
  alreadyCurrent: number;
  /** Keys deleted (or rewrapped by another rotation) while this one ran. */
  skipped: number;
  /** Keys whose master key is not configured: still wrapped as they were. */
  unwrappable: string[];
}

/**
 * Rewraps every data key under the current master key, touching only the key store: events
 * and their hashes stay as they are (values are sealed by the data keys, which do not change).
 * Once it reports no `unwrappable` key, the previous master keys can be dropped. Safe to run
 * beside the API and to run again.
 */
export const rotateMasterKey = async (
  keys: KeyStore,
  master: MasterKeys,
  options: { pageSize?: number } = {},
): Promise<RotationReport> => {
  const report: RotationReport = { rewrapped: 0, alreadyCurrent: 0, skipped: 0, unwrappable: [] };
  let after = '';
  for (;;) {
    const page = await keys.list(after, options.pageSize ?? 500);
    if (page.length === 0) break;
    for (const record of page) {
      after = record.keyId;
      if (record.masterKeyId === master.current.id) {
        report.alreadyCurrent += 1;
        continue;
      }
      let dataKey: Buffer;
      try {
        dataKey = master.unwrap(record);
      } catch (error) {
        if (!(error instanceof MasterKeyError)) throw error;
        report.unwrappable.push(record.keyId);
        continue;
      }
      const next = master.wrap(dataKey, record.keyId, record.subject);
      if (await keys.rewrap(record.keyId, record.masterKeyId, next)) report.rewrapped += 1;
      else report.skipped += 1;
    }
  }
  // The old wrappings must not stay readable in the store's files either.
  await keys.purge();
  return report;
};
