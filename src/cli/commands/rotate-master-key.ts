import { openKeyStore, openMasterKeys } from '../../privacy/wire';
import { rotateMasterKey } from '../../privacy/rotation';
import { HELP, parseCommand } from '../args';
import { EXIT, type Io } from '../io';
import { configOf } from '../open-app';

export const summary = 'rewrap every lead key under MASTER_KEY (events are not touched)';

const help = `Usage: leadledger rotate-master-key [--json]

Rewraps every per-lead data key in the key store under the current MASTER_KEY, unwrapping the
old wrappings with MASTER_KEY_PREVIOUS. Only the key store changes: events, their ciphertext and
their hashes stay as they are. Safe to run beside a running API and to run again.

Rotating: set MASTER_KEY to the new key and MASTER_KEY_PREVIOUS to the old one(s), restart the
processes, run this command; once it reports no key left unwrappable, drop MASTER_KEY_PREVIOUS.

Options:
  --json       print the report as JSON
  -h, --help   show this help

Exit codes: 0 every key is wrapped by MASTER_KEY, 1 failure or some keys could not be
unwrapped (their master key is not configured: they stay as they were).`;

const line = { options: { ...HELP, json: { type: 'boolean' } } } as const;

export const run = async (args: string[], io: Io): Promise<number> => {
  const parsed = parseCommand(help, line, args, io);
  if (!parsed) return EXIT.OK;
  const config = configOf(io);
  const master = openMasterKeys(config, (message) => io.stderr.write(`${message}\n`));
  const keys = await openKeyStore(config);
  try {
    const report = await rotateMasterKey(keys, master);
    if (parsed.values.json) {
      io.stdout.write(`${JSON.stringify({ masterKeyId: master.current.id, ...report })}\n`);
    } else {
      io.stdout.write(
        `rewrapped ${report.rewrapped}, already current ${report.alreadyCurrent}, skipped ${report.skipped}, unwrappable ${report.unwrappable.length}\n`,
      );
      for (const keyId of report.unwrappable) io.stdout.write(`unwrappable: ${keyId}\n`);
    }
    return report.unwrappable.length === 0 ? EXIT.OK : EXIT.FAILURE;
  } finally {
    await keys.close();
  }
};
