/** Regenerates `dashboards/*.json` from the specs: `npx tsx dashboards/build/write.ts`. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderDashboards } from './index.js';

const dir = fileURLToPath(new URL('../', import.meta.url));
for (const [file, text] of Object.entries(renderDashboards())) {
  writeFileSync(`${dir}${file}`, text);
  process.stdout.write(`wrote dashboards/${file}\n`);
}
