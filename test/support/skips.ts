import { appendFileSync } from 'node:fs';

/**
 * Records a suite that could not run here (e.g. no EVENTSTORE_URL), loudly: a warning now and a
 * line in the summary the suite reporter prints at the end of the run.
 */
export const recordSkip = (suite: string, reason: string): void => {
  console.warn(`SKIPPED ${suite}: ${reason}`);
  const file = process.env.LEADLEDGER_SKIP_FILE;
  if (file) appendFileSync(file, `${JSON.stringify({ suite, reason })}\n`);
};

/** Records a service-backed suite that did run, so the summary can say so. */
export const recordRan = (suite: string): void => {
  const file = process.env.LEADLEDGER_SKIP_FILE;
  if (file) appendFileSync(file, `${JSON.stringify({ suite, ran: true })}\n`);
};
