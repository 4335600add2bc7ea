// Child process for wal-crash.test.ts: appends forever until SIGKILLed, printing each acknowledged LSN.
import { silentLogger } from '../../src/log.js';
import { WriteAheadLog } from '../../src/durability/wal/write-ahead-log.js';

const wal = await WriteAheadLog.open({ dir: process.argv[2]!, durability: 'fsync', segmentBytes: 64 * 1024, log: silentLogger() });
const body = new Uint8Array(3000).fill(7);
for (let i = 0; ; i++) {
  const outs = await Promise.all(
    Array.from({ length: 8 }, () => wal.append({ type: 'request', tenantId: 't', mayClaimTenant: false, format: 'json', receivedAtMs: i, body })),
  );
  for (const o of outs) if (o.status === 'ok') process.stdout.write(`${o.value.lsn}\n`);
}
