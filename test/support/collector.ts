/** Starts the real receivers in-process on free ports with a RecordingSink, for integration tests. */
import type { Collector } from '../../src/main/collector.js';
import { composeCollector, type ReceiveHooks } from '../../src/main/compose.js';
import { parseConfig, deepMerge } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { RecordingSink } from './recording-sink.js';

/**
 * The receive config of every test collector and server: free ports on loopback, shedding off unless a test asks for
 * it. A 2-core CI machine running two test forks can stall the loop past the production lag limit, and a container's
 * memory limit would set a cap under `auto`: neither may refuse requests of tests that are not about shedding.
 */
export const TEST_RECEIVE = { grpc: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 }, overload: { maxEventLoopLagMs: 10_000, maxRssBytes: 0 } };

export interface TestCollector {
  collector: Collector;
  sink: RecordingSink;
  grpcPort: number;
  httpPort: number;
  /** host:port for gRPC clients. */
  grpcTarget: string;
  /** http://127.0.0.1:port */
  grpcUrl: string;
  httpUrl: string;
  close(): Promise<void>;
}

/** Collector parameters a test may inject besides the config (RSS reader, cgroup file, memory-pressure listener, forced GC). */
export type TestCollectorHooks = ReceiveHooks;

export async function startTestCollector(opts: { config?: ConfigInput; log?: Logger; hooks?: TestCollectorHooks } = {}): Promise<TestCollector> {
  const base = { receive: TEST_RECEIVE };
  const config = parseConfig(deepMerge(base, (opts.config ?? {}) as Record<string, unknown>));
  const sink = new RecordingSink();
  const collector = composeCollector({ config, log: opts.log ?? silentLogger(), sinks: { spans: sink, logs: sink.logSink, metrics: sink.metricSink }, ...(opts.hooks ? { hooks: opts.hooks } : {}) });
  const { grpcPort, httpPort } = await collector.start();
  return {
    collector,
    sink,
    grpcPort: grpcPort!,
    httpPort: httpPort!,
    grpcTarget: `127.0.0.1:${grpcPort}`,
    grpcUrl: `http://127.0.0.1:${grpcPort}`,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    close: () => collector.shutdown(1_000),
  };
}
