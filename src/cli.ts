#!/usr/bin/env node
/** The command line: parses arguments and calls the stage that does the work (STYLE.md 3). */
import { Command, Option } from 'commander';
import { envNameFor } from './config/env.js';
import { loadConfig } from './config/load.js';
import { isAgtError } from './model/errors.js';
import { createLogger } from './log.js';
import { hashApiKey } from './receive/auth.js';
import { GROUP_COLUMNS } from './store/read/costs.js';
import { runCostsCommand } from './commands/costs.js';
import { CliError } from './commands/cli-error.js';
import { collectorGrpcTarget, collectorHttpUrl } from './commands/collector-address.js';
import { runRepriceCommand } from './commands/reprice.js';
import { runResidencyCommand } from './commands/residency.js';
import { startServer } from './main/lifecycle.js';
import { createStoreClient } from './store/store-client.js';
import { runMigrations } from './store/migrations.js';
import { formatReport } from './simulate/format.js';
import { progressBar, waitProgress } from './simulate/progress.js';
import { runSimulation } from './simulate/run.js';

const program = new Command();
program.name('agenttail').description('OTLP collector for AI-agent traffic with session-level tail sampling');

/** The time forms `--from`/`--to` accept (src/api/strict-time.ts), for the help. */
const TIME_FORMS = 'ISO-8601 date or date-time, no zone = UTC (2026-12-07, 2026-12-07T09:30:00+01:00), or epoch ms as 13 digits';

/** Where the data commands look for the collector. */
const URL_HELP = 'collector HTTP address (default: receive.http.host/port of the config: -c file, AGENTTAIL_CFG__RECEIVE__HTTP__PORT, else http://127.0.0.1:4318); with none answering, the embedded store of store.path';

/** Where the ports are set, for `serve --help` (and README "Ports"). */
const PORTS_HELP = `
Ports (config file field, or environment variable; 0 = any free port):
  receive.grpc.port   ${envNameFor(['receive', 'grpc', 'port'])}   OTLP/gRPC (default 4317)
  receive.http.port   ${envNameFor(['receive', 'http', 'port'])}   OTLP/HTTP, /v1/evals and the API (default 4318)
  receive.grpc.host, receive.http.host (…__HOST)   interface to bind (default 127.0.0.1)
Example: ${envNameFor(['receive', 'grpc', 'port'])}=14317 ${envNameFor(['receive', 'http', 'port'])}=14318 npx agenttail serve`;

const configOption = new Option('-c, --config <file>', 'YAML configuration file');

program
  .command('serve', { isDefault: true })
  .description('run the collector (gRPC :4317, HTTP :4318, embedded ClickHouse in ./data by default)')
  .addOption(configOption)
  .addHelpText('after', PORTS_HELP)
  .action(async (opts: { config?: string }) => {
    const config = loadConfig({ file: opts.config });
    const log = createLogger(config.logLevel);
    // The handlers are in place before the start begins: a SIGTERM while recovering or right after the ports are
    // bound (an orchestrator's rolling update) waits for the start, then shuts down as usual, instead of killing the
    // process by the signal's default action.
    const starting = startServer(config, log);
    let signals = 0;
    const onSignal = (signal: string): void => {
      signals++;
      if (signals > 1) {
        log.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      const timer = setTimeout(() => {
        log.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown deadline passed: exiting');
        process.exit(1);
      }, config.shutdownTimeoutMs);
      timer.unref();
      starting
        .then((server) => server.shutdown())
        .then(
          () => process.exit(0),
          (err: unknown) => {
            log.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
    };
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    process.on('SIGINT', () => onSignal('SIGINT'));
    await starting;
  });

program
  .command('simulate')
  .description('send realistic agent sessions to a running collector and report what it kept')
  .option('--grpc <host:port>', 'collector gRPC address (default: receive.grpc.host/port of the config, else 127.0.0.1:4317)')
  .option('--http <url>', 'collector HTTP address, for the session API and /v1/evals (default: receive.http.host/port of the config, else http://127.0.0.1:4318)')
  .addOption(configOption)
  .option('--api-key <key>', 'API key (also AGENTTAIL_API_KEY)', process.env.AGENTTAIL_API_KEY)
  .option('--sessions <n>', 'sessions to send', (v) => parsePositiveInt(v, '--sessions'), 500)
  .option('--seed <n>', 'random seed (same seed, same sessions)', (v) => parsePositiveInt(v, '--seed'), 42)
  .option('--concurrency <n>', 'sessions in flight', (v) => parsePositiveInt(v, '--concurrency'), 8)
  .option('--error-share <x>', 'share of sessions with a failing tool', (v) => parseShare(v, '--error-share'), 0.03)
  .option('--rare-share <x>', 'share with an unusual tool path', (v) => parseShare(v, '--rare-share'), 0.02)
  .option('--outlier-share <x>', 'share with outlier token use', (v) => parseShare(v, '--outlier-share'), 0.02)
  .option('--low-eval-share <x>', 'share with a low eval on a span', (v) => parseShare(v, '--low-eval-share'), 0.02)
  .option('--late-eval-share <x>', 'share with a low eval posted after the session ended', (v) => parseShare(v, '--late-eval-share'), 0.02)
  .option('--detector-share <x>', 'share of EACH detector pattern (tool loop, retry storm, duplicate call, budget race, stall, runaway, cache collapse, cache churn)', (v) => parseShare(v, '--detector-share'), 0.01)
  .option('--near-miss-share <x>', 'share of near misses of the detector patterns (must not fire)', (v) => parseShare(v, '--near-miss-share'), 0.05)
  .option('--throttle-share <x>', 'share of model calls throttled once (429 + retry-after) before they succeed', (v) => parseShare(v, '--throttle-share'), 0.08)
  .option('--wait-ms <ms>', 'how long to wait for decisions', (v) => parsePositiveInt(v, '--wait-ms'), 30_000)
  .option('--json', 'print the report as JSON')
  .action(async (opts: Record<string, never>) => {
    const o = opts as unknown as {
      grpc?: string; http?: string; config?: string; apiKey?: string; sessions: number; seed: number; concurrency: number;
      errorShare: number; rareShare: number; outlierShare: number; lowEvalShare: number; lateEvalShare: number; detectorShare: number; nearMissShare: number;
      throttleShare: number; waitMs: number; json?: boolean;
    };
    // The ports `serve` would bind with the same config and environment (issue 25: it targeted the defaults).
    const receive = loadConfig({ file: o.config }).receive;
    const http = collectorHttpUrl(receive, o.http);
    if (http.url === null) throw new CliError(`simulate needs the collector's HTTP address: ${http.origin}`);
    const result = await runSimulation({
      grpcTarget: collectorGrpcTarget(receive, o.grpc),
      httpUrl: http.url,
      apiKey: o.apiKey,
      sessions: o.sessions,
      seed: o.seed,
      concurrency: o.concurrency,
      shares: { error: o.errorShare, rarePath: o.rareShare, costOutlier: o.outlierShare, lowEval: o.lowEvalShare, lateLowEval: o.lateEvalShare, detector: o.detectorShare, nearMiss: o.nearMissShare },
      throttleShare: o.throttleShare,
      decisionWaitMs: o.waitMs,
      onProgress: progressBar('sending'),
      onWait: waitProgress(),
    });
    process.stdout.write((o.json ? JSON.stringify(result, null, 2) : formatReport(result)) + '\n');
    const { missing, sessionsSent } = result.report;
    if (missing.length > 0) {
      throw new CliError(`report incomplete: ${missing.length} of ${sessionsSent} sessions not decided within --wait-ms ${o.waitMs} (raise --wait-ms, or check the collector's sessions.idleTimeoutMs)`, 2);
    }
  });

program
  .command('migrate')
  .description('apply the ClickHouse schema (each numbered migration once)')
  .addOption(configOption)
  .option('--cluster', "replicated + distributed tables ON CLUSTER '{cluster}' (servers define {cluster}, {shard}, {replica})")
  .action(async (opts: { config?: string; cluster?: boolean }) => {
    const config = loadConfig({ file: opts.config });
    const log = createLogger(config.logLevel);
    const client = await createStoreClient(config.store, config.store.kind === 'server' ? 'default' : undefined);
    try {
      const r = await runMigrations({ client, database: config.store.database, log, cluster: opts.cluster === true });
      process.stdout.write(`applied ${r.applied.length} migration(s), ${r.skipped.length} already applied\n`);
    } finally {
      await client.close();
    }
  });

program
  .command('costs')
  .description('per-tenant cost rollups (exact, dropped sessions included) from a running collector or the embedded data')
  .option('--from <time>', `start: ${TIME_FORMS} (default: 00:00 UTC on the 1st of this month)`)
  .option('--to <time>', `end (excluded): ${TIME_FORMS} (default: now)`)
  .option('--group-by <list>', `comma-separated, one or more of ${Object.keys(GROUP_COLUMNS).join(',')}`, 'tenant')
  .addOption(new Option('--format <f>', 'output format').choices(['table', 'csv', 'json']).default('table'))
  .option('--url <url>', URL_HELP)
  .option('--api-key <key>', 'API key (also AGENTTAIL_API_KEY)', process.env.AGENTTAIL_API_KEY)
  .addOption(configOption)
  .action(async (opts: { from?: string; to?: string; groupBy: string; format: 'table' | 'csv' | 'json'; url?: string; apiKey?: string; config?: string }) => {
    const config = loadConfig({ file: opts.config });
    await runCostsCommand({ ...opts, config }, process.stdout);
  });

program
  .command('residency')
  .description('where each tenant\'s calls ran against its residency policy (exact, dropped sessions included), violations first')
  .requiredOption('--from <time>', `start: ${TIME_FORMS}`)
  .requiredOption('--to <time>', `end (excluded): ${TIME_FORMS}`)
  .option('--tenant <id>', 'only this tenant (a tenant key sees only its own)')
  .addOption(new Option('--format <f>', 'output format').choices(['table', 'csv', 'json']).default('table'))
  .option('--url <url>', URL_HELP)
  .option('--api-key <key>', 'API key (also AGENTTAIL_API_KEY)', process.env.AGENTTAIL_API_KEY)
  .addOption(configOption)
  .action(async (opts: { from: string; to: string; tenant?: string; format: 'table' | 'csv' | 'json'; url?: string; apiKey?: string; config?: string }) => {
    const config = loadConfig({ file: opts.config });
    await runResidencyCommand({ ...opts, config }, process.stdout);
  });

program
  .command('reprice')
  .description('recompute the rollup costs of a period from stored tokens with the current catalog (records the catalog version)')
  .requiredOption('--from <time>', `start: ${TIME_FORMS} (the hour holding it is included)`)
  .requiredOption('--to <time>', `end (excluded): ${TIME_FORMS}`)
  .option('--tenant <id>', 'only this tenant (default: every tenant)')
  .option('--dry-run', 'show what would change, write nothing')
  .addOption(new Option('--format <f>', 'output format').choices(['table', 'json']).default('table'))
  .option('--url <url>', `${URL_HELP}; needs an admin key when keys are configured`)
  .option('--api-key <key>', 'API key (also AGENTTAIL_API_KEY)', process.env.AGENTTAIL_API_KEY)
  .addOption(configOption)
  .action(async (opts: { from: string; to: string; tenant?: string; dryRun?: boolean; format: 'table' | 'json'; url?: string; apiKey?: string; config?: string }) => {
    const config = loadConfig({ file: opts.config });
    await runRepriceCommand({ ...opts, config, log: createLogger(config.logLevel) }, process.stdout);
  });

program
  .command('hash-key')
  .description('print the sha256 of an API key, for receive.keys[].sha256 in the config')
  .argument('<key>')
  .action((key: string) => {
    process.stdout.write(hashApiKey(key) + '\n');
  });

function parsePositiveInt(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number ≥ 0, got ${JSON.stringify(v)}`);
  return n;
}

function parseShare(v: string, name: string): number {
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new Error(`${name} must be a number from 0 to 1, got ${JSON.stringify(v)}`);
  return n;
}

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CliError) {
    process.stderr.write(`agenttail: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  if (isAgtError(err)) process.stderr.write(`agenttail: ${err.code}: ${err.message}\n`);
  else process.stderr.write(`agenttail: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
