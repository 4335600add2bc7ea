/** `npm run bench`: runs every benchmark in its own process (GC exposed), one after another. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHES = ['decode', 'span-transfer', 'normalize', 'offload', 'sampling', 'detectors', 'buffer', 'store', 'store-rows', 'store-format', 'costs-query', 'residency-report', 'wal', 'wal-ingest', 'logs-ingest', 'metrics-ingest', 'layers', 'alloc-profile', 'sizing', 'outage-resume', 'shared-decisions', 'outlier-restart', 'e2e'];
const only = process.argv.slice(2);
let failed = 0;
for (const name of BENCHES) {
  if (only.length > 0 && !only.includes(name)) continue;
  const file = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  process.stdout.write(`\n=== bench/${name}.ts ===\n`);
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', file], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
