import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { printLeadLedgerSchema } from '../../src/graphql/schema';

describe('schema.graphql', () => {
  it('is what the code generates (run `npm run schema` after changing the API)', async () => {
    const committed = readFileSync(join(__dirname, '..', '..', 'schema.graphql'), 'utf8');
    expect(await printLeadLedgerSchema()).toBe(committed);
  });
});
