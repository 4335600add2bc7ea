/**
 * The sizing table (README "Performance and sizing") in one command, on the e2e traffic (bench/e2e/requests.ts: ~500-span
 * requests, ~12 attributes per span, sessions split over two requests, ~10 % kept):
 *   - process CPU µs per span and spans/s of each stage run alone (bench/sizing/stages.ts): decode, normalize + price,
 *     buffer, decide, row build + insert into the embedded ClickHouse;
 *   - heap bytes per buffered span (whole and lean) and per decision, after full collections (bench/sizing/memory.ts;
 *     RSS growth from outside is bench/buffered-rss.ts);
 *   - disk: write-ahead log bytes per span, ClickHouse bytes per span row and session row (system.parts).
 * Baseline in the same run: the wire bytes of the same requests (memory and disk are also given per wire byte).
 * Throughput through the whole collector and the transport ceiling are bench/e2e.ts's.
 * Run: node --expose-gc --import tsx bench/sizing.ts [requests] [rounds] [memoryRequests]
 */
import { markdownTable } from './sizing/report.js';
import { runSizing } from './sizing/run.js';

const requests = Number(process.argv[2] ?? 120);
const rounds = Number(process.argv[3] ?? 5);
const memoryRequests = Number(process.argv[4] ?? 120);
const command = `node --expose-gc --import tsx bench/sizing.ts ${requests} ${rounds} ${memoryRequests}`;

const result = await runSizing({ requests, rounds, memoryRequests });
console.log(markdownTable(result, `\`${command}\``));
console.log(JSON.stringify({ bench: 'sizing', command, ...result }, null, 2));
