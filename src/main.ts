import { runProcess } from './cli/main';

/**
 * `npm start`: `leadledger serve` with the arguments after `--` (`npm start -- --demo`), so the
 * API has one code path whichever way it is started.
 */
runProcess(['serve', ...process.argv.slice(2)], 'lead-ledger');
