import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';

/**
 * One encrypted value as it is stored in an event: `pii:v1:<keyId>:<iv>:<ciphertext+tag>`
 * (base64url, no padding). AES-256-GCM with a random 96-bit IV per value; the plaintext is the
 * value's JSON, so strings, numbers and objects come back as they went in. The additional
 * authenticated data names where the value belongs (stream, event type, field): a value copied
 * into another lead's stream or another field does not decrypt.
 */

const PREFIX = 'pii:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const DATA_KEY_BYTES = 32;

export interface SealedParts {
  keyId: string;
  iv: Buffer;
  /** Ciphertext followed by the 16-byte GCM tag. */
  sealed: Buffer;
}

/** The value was sealed but does not open: altered, moved, or sealed with another key. */
export class SealedValueError extends Error {
  override readonly name = 'SealedValueError';
}

export const isSealed = (value: unknown): value is string =>
  typeof value === 'string' && value.startsWith(PREFIX);

/** Where a value belongs: what its AAD says. */
export const valueAad = (streamId: string, type: string, field: string): Buffer =>
  Buffer.from(`leadledger:pii:v1\n${streamId}\n${type}\n${field}`, 'utf8');

/** IVs are cut from a buffer refilled from the CSPRNG: one call per 1024 values, not one each. */
const IV_POOL = Buffer.alloc(IV_BYTES * 1024);
let ivOffset = IV_POOL.length;
const freshIv = (): Buffer => {
  if (ivOffset === IV_POOL.length) {
    randomFillSync(IV_POOL);
    ivOffset = 0;
  }
  ivOffset += IV_BYTES;
  return Buffer.from(IV_POOL.subarray(ivOffset - IV_BYTES, ivOffset));
};

export const sealValue = (key: Buffer, keyId: string, aad: Buffer, value: unknown): string => {
  const iv = freshIv();
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(aad);
  const body = Buffer.concat([
    cipher.update(JSON.stringify(value), 'utf8'),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  return `${PREFIX}${keyId}:${iv.toString('base64url')}:${body.toString('base64url')}`;
};

export const parseSealed = (text: string): SealedParts => {
  const parts = text.slice(PREFIX.length).split(':');
  const [keyId, iv, sealed] = parts;
  if (!text.startsWith(PREFIX) || parts.length !== 3 || !keyId || !iv || !sealed) {
    throw new SealedValueError('not a sealed value');
  }
  const parsed = {
    keyId,
    iv: Buffer.from(iv, 'base64url'),
    sealed: Buffer.from(sealed, 'base64url'),
  };
  if (parsed.iv.length !== IV_BYTES || parsed.sealed.length < TAG_BYTES) {
    throw new SealedValueError('malformed sealed value');
  }
  return parsed;
};

export const openSealed = (key: Buffer, parts: SealedParts, aad: Buffer): unknown => {
  const tagAt = parts.sealed.length - TAG_BYTES;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, parts.iv)
      .setAAD(aad)
      .setAuthTag(parts.sealed.subarray(tagAt));
    const plain = Buffer.concat([
      decipher.update(parts.sealed.subarray(0, tagAt)),
      decipher.final(),
    ]).toString('utf8');
    return JSON.parse(plain) as unknown;
  } catch {
    throw new SealedValueError(`value sealed with key ${parts.keyId} does not open here`);
  }
};
