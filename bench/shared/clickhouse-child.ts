/**
 * The shared-decisions bench's ClickHouse, in its own process so its work is not the collector's: the test HTTP
 * endpoint over the embedded engine (test/support/clickhouse-http.ts), migrated, plus a peer instance that publishes
 * `peerRowsPerS` kept decisions a second (another instance with traffic like ours). Prints `{"url": …}` once ready;
 * stops when its stdin closes.
 * Run by bench/shared-decisions.ts: node --import tsx bench/shared/clickhouse-child.ts <dir> <peerRowsPerS>
 */
import { createClient } from '@clickhouse/client';
import { silentLogger } from '../../src/log.js';
import { DecisionsTable } from '../../src/shared/decisions-table.js';
import { runMigrations } from '../../src/store/migrations.js';
import { startClickHouseHttp } from '../../test/support/clickhouse-http.js';

const [dir, rate] = [process.argv[2]!, Number(process.argv[3] ?? 0)];
const ch = await startClickHouseHttp({ path: dir, username: 'bench', password: 'bench' });
const client = createClient({ url: ch.url, username: 'bench', password: 'bench' });
await runMigrations({ client, database: 'agenttail', log: silentLogger() });
const peer = new DecisionsTable({ client, database: 'agenttail', instanceId: 'peer' });
let n = 0;
const timer = setInterval(() => {
  const rows = Array.from({ length: rate }, () => ({ tenantId: 'default', sessionId: `peer-${n++}`, sampleWeight: 1, reasons: ['error'], decidedAtMs: Date.now() }));
  if (rows.length > 0) void peer.publish(rows, `peer-${n}`).catch(() => undefined);
}, 1_000);
process.stdout.write(`${JSON.stringify({ url: ch.url })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  clearInterval(timer);
  void client.close().then(() => ch.close()).then(() => process.exit(0));
});
