/**
 * Child process of store-embedded-close.test.ts: opens the embedded store at argv[2], starts an insert it does not
 * wait for, closes the store and exits at once, as the CLI does after "shutdown complete". Prints whether the insert
 * was still running when the close was called.
 */
import { storeSchema } from '../../src/config/store.js';
import { createStoreClient } from '../../src/store/store-client.js';

const client = await createStoreClient(storeSchema.parse({ kind: 'embedded', path: process.argv[2] }));
await client.command({ query: 'CREATE TABLE default.t (a UInt64, s String) ENGINE = MergeTree ORDER BY a' });
let settled = false;
void client
  .command({ query: `INSERT INTO default.t SELECT number, toString(number) FROM numbers(${process.argv[3]})` })
  .finally(() => (settled = true));
await new Promise((resolve) => setTimeout(resolve, 20));
const runningAtClose = !settled;
await client.close();
process.stdout.write(`${JSON.stringify({ runningAtClose })}\n`);
process.exit(0);
