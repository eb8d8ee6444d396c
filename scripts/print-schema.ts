import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { printLeadLedgerSchema } from '../src/graphql/schema';

/** Writes schema.graphql from the code (`npm run schema`); a test fails when it is stale. */
const main = async () => {
  const target = join(__dirname, '..', '..', 'schema.graphql');
  writeFileSync(target, await printLeadLedgerSchema());
  console.log(`wrote ${target}`);
};

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
