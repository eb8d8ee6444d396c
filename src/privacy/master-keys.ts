import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Master keys wrap (AES-256-GCM) the per-lead data keys held in the key store. The current one
 * wraps new keys; previous ones only unwrap, until `rotateMasterKey` has rewrapped everything.
 * A key's id is derived from the key itself, so configuring one is just its 32 bytes in base64.
 */

export interface MasterKey {
  id: string;
  key: Buffer;
}

/** What a wrapping binds a data key to: its id and subject, so it cannot be swapped. */
export interface WrappedKey {
  keyId: string;
  subject: string;
  masterKeyId: string;
  wrapped: string;
}

/** A setting is unusable, or a wrapped key needs a master key that is not configured. */
export class MasterKeyError extends Error {
  override readonly name = 'MasterKeyError';
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
export const MASTER_KEY_BYTES = 32;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** The 32 bytes of a base64 (or base64url) setting; undefined when it is not that. */
export const parseMasterKey = (text: string): Buffer | undefined => {
  const trimmed = text.trim();
  if (!BASE64.test(trimmed)) return undefined;
  const key = Buffer.from(trimmed.replaceAll('-', '+').replaceAll('_', '/'), 'base64');
  return key.length === MASTER_KEY_BYTES ? key : undefined;
};

/** For the configuration schema: MASTER_KEY, and each comma-separated MASTER_KEY_PREVIOUS. */
export const isMasterKeyText = (text: string): boolean => parseMasterKey(text) !== undefined;
export const isMasterKeyList = (text: string): boolean =>
  text.split(',').every((part) => part.trim() === '' || isMasterKeyText(part));

export const masterKeyId = (key: Buffer): string =>
  `mk-${createHash('sha256').update('leadledger:master-key-id\n').update(key).digest('hex').slice(0, 16)}`;

const toMasterKey = (key: Buffer): MasterKey => ({ id: masterKeyId(key), key });

const wrapAad = (keyId: string, subject: string): Buffer =>
  Buffer.from(`leadledger:dek:v1\n${keyId}\n${subject}`, 'utf8');

export class MasterKeys {
  private readonly byId = new Map<string, MasterKey>();

  constructor(
    readonly current: MasterKey,
    previous: readonly MasterKey[] = [],
  ) {
    for (const key of [...previous, current]) this.byId.set(key.id, key);
  }

  static fromBytes(current: Buffer, previous: readonly Buffer[] = []): MasterKeys {
    return new MasterKeys(toMasterKey(current), previous.map(toMasterKey));
  }

  /** Ids of every key that can unwrap, the current one included. */
  get ids(): string[] {
    return [...this.byId.keys()];
  }

  wrap(dataKey: Buffer, keyId: string, subject: string): WrappedKey {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv).setAAD(
      wrapAad(keyId, subject),
    );
    const body = Buffer.concat([cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
    return {
      keyId,
      subject,
      masterKeyId: this.current.id,
      wrapped: Buffer.concat([iv, body]).toString('base64url'),
    };
  }

  unwrap(record: WrappedKey): Buffer {
    const master = this.byId.get(record.masterKeyId);
    if (!master) {
      throw new MasterKeyError(
        `data key ${record.keyId} is wrapped by master key ${record.masterKeyId}, which is not configured (add it to MASTER_KEY_PREVIOUS)`,
      );
    }
    const raw = Buffer.from(record.wrapped, 'base64url');
    const tagAt = raw.length - TAG_BYTES;
    try {
      const decipher = createDecipheriv('aes-256-gcm', master.key, raw.subarray(0, IV_BYTES))
        .setAAD(wrapAad(record.keyId, record.subject))
        .setAuthTag(raw.subarray(tagAt));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, tagAt)), decipher.final()]);
    } catch {
      throw new MasterKeyError(`data key ${record.keyId} does not unwrap: altered or misfiled`);
    }
  }
}

export interface MasterKeySettings {
  NODE_ENV: string;
  DATA_DIR: string;
  MASTER_KEY?: string | undefined;
  MASTER_KEY_PREVIOUS?: string | undefined;
}

/** Where a development master key is kept when MASTER_KEY is not set. */
export const devMasterKeyFile = (dataDir: string): string => join(dataDir, 'master.key');

const readDevKey = (file: string): Buffer | undefined => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const key = parseMasterKey(text);
  if (!key) throw new MasterKeyError(`${file} does not hold a base64 32-byte master key`);
  return key;
};

/** Creates the development key once (two processes starting together agree on the first). */
const createDevKey = (file: string, dataDir: string): Buffer => {
  mkdirSync(dataDir, { recursive: true });
  try {
    writeFileSync(file, `${randomBytes(MASTER_KEY_BYTES).toString('base64')}\n`, {
      flag: 'wx',
      mode: 0o600,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readDevKey(file)!;
};

const parseSetting = (name: string, text: string): Buffer => {
  const key = parseMasterKey(text);
  if (!key) throw new MasterKeyError(`invalid ${name}: must be 32 bytes in base64`);
  return key;
};

/**
 * MASTER_KEY (current) and MASTER_KEY_PREVIOUS (comma-separated, unwrap only). Without
 * MASTER_KEY: refused in production; elsewhere a development key is generated once under
 * DATA_DIR (and `warn` says so). A development key left there stays usable for unwrapping
 * after MASTER_KEY is set, so a rotation can move its keys over.
 */
export const loadMasterKeys = (
  settings: MasterKeySettings,
  warn: (message: string) => void = () => undefined,
): MasterKeys => {
  const previous = (settings.MASTER_KEY_PREVIOUS ?? '')
    .split(',')
    .filter((part) => part.trim() !== '')
    .map((part) => parseSetting('MASTER_KEY_PREVIOUS', part));
  const file = devMasterKeyFile(settings.DATA_DIR);
  if (settings.MASTER_KEY) {
    const dev = readDevKey(file);
    return MasterKeys.fromBytes(parseSetting('MASTER_KEY', settings.MASTER_KEY), [
      ...previous,
      ...(dev ? [dev] : []),
    ]);
  }
  if (settings.NODE_ENV === 'production') {
    throw new MasterKeyError('invalid MASTER_KEY: required when NODE_ENV=production');
  }
  const existing = readDevKey(file);
  const key = existing ?? createDevKey(file, settings.DATA_DIR);
  if (settings.NODE_ENV === 'development') {
    warn(
      `MASTER_KEY is not set: personal data is encrypted under a development master key ${existing ? 'read from' : 'generated in'} ${file} (development only)`,
    );
  }
  return MasterKeys.fromBytes(key, previous);
};
