import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  devMasterKeyFile,
  isMasterKeyList,
  isMasterKeyText,
  loadMasterKeys,
  MasterKeyError,
  MasterKeys,
  parseMasterKey,
} from '../../src/privacy/master-keys';

const b64 = (bytes: Buffer) => bytes.toString('base64');

describe('master keys', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'leadledger-mk-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('accept 32 bytes in base64 or base64url, nothing else', () => {
    const key = randomBytes(32);
    expect(parseMasterKey(b64(key))?.equals(key)).toBe(true);
    expect(parseMasterKey(key.toString('base64url'))?.equals(key)).toBe(true);
    expect(isMasterKeyText(b64(randomBytes(16)))).toBe(false);
    expect(isMasterKeyText('not base64 at all!')).toBe(false);
    expect(isMasterKeyList(`${b64(randomBytes(32))}, ${b64(randomBytes(32))}`)).toBe(true);
    expect(isMasterKeyList(`${b64(randomBytes(32))},short`)).toBe(false);
  });

  it('wrap a data key for one key id and subject; unwrap it with any configured master', () => {
    const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];
    const before = MasterKeys.fromBytes(oldKey);
    const dataKey = randomBytes(32);
    const wrapped = before.wrap(dataKey, 'k1', 'L1');
    expect(wrapped.masterKeyId).toBe(before.current.id);
    expect(wrapped.wrapped).not.toContain(dataKey.toString('base64url'));

    const after = MasterKeys.fromBytes(newKey, [oldKey]);
    expect(after.current.id).not.toBe(before.current.id);
    expect(after.unwrap(wrapped).equals(dataKey)).toBe(true);
    expect(() => MasterKeys.fromBytes(newKey).unwrap(wrapped)).toThrow(MasterKeyError);
    // Bound to its key id and subject: a wrapping moved to another lead does not unwrap.
    expect(() => after.unwrap({ ...wrapped, subject: 'L2' })).toThrow(MasterKeyError);
  });

  it('derive a stable id from the key itself', () => {
    const key = randomBytes(32);
    expect(MasterKeys.fromBytes(key).current.id).toBe(MasterKeys.fromBytes(key).current.id);
    expect(MasterKeys.fromBytes(key).current.id).toMatch(/^mk-[0-9a-f]{16}$/);
  });

  it('without MASTER_KEY: a development key generated once under DATA_DIR, with a warning', () => {
    const warnings: string[] = [];
    const first = loadMasterKeys({ NODE_ENV: 'development', DATA_DIR: dir }, (m) =>
      warnings.push(m),
    );
    const file = devMasterKeyFile(dir);
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o077).toBe(0);
    expect(parseMasterKey(readFileSync(file, 'utf8'))).toBeDefined();
    const second = loadMasterKeys({ NODE_ENV: 'development', DATA_DIR: dir });
    expect(second.current.id).toBe(first.current.id);
    expect(warnings).toEqual([expect.stringContaining('MASTER_KEY is not set')]);
  });

  it('refuses to run without MASTER_KEY in production, and names a bad setting', () => {
    expect(() => loadMasterKeys({ NODE_ENV: 'production', DATA_DIR: dir })).toThrow(
      'invalid MASTER_KEY: required when NODE_ENV=production',
    );
    expect(existsSync(devMasterKeyFile(dir))).toBe(false);
    expect(() =>
      loadMasterKeys({ NODE_ENV: 'production', DATA_DIR: dir, MASTER_KEY: 'short' }),
    ).toThrow('invalid MASTER_KEY');
    expect(() =>
      loadMasterKeys({
        NODE_ENV: 'production',
        DATA_DIR: dir,
        MASTER_KEY: b64(randomBytes(32)),
        MASTER_KEY_PREVIOUS: 'nope',
      }),
    ).toThrow('invalid MASTER_KEY_PREVIOUS');
  });

  it('keeps a development key usable for unwrapping once MASTER_KEY is set', () => {
    const dev = loadMasterKeys({ NODE_ENV: 'test', DATA_DIR: dir });
    const wrapped = dev.wrap(randomBytes(32), 'k1', 'L1');
    const configured = loadMasterKeys({
      NODE_ENV: 'production',
      DATA_DIR: dir,
      MASTER_KEY: b64(randomBytes(32)),
    });
    expect(configured.current.id).not.toBe(dev.current.id);
    expect(configured.ids).toContain(dev.current.id);
    expect(() => configured.unwrap(wrapped)).not.toThrow();
  });
});
