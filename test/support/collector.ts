/** Starts the real receivers in-process on free ports with a RecordingSink, for integration tests. */
import { Collector, type CollectorParams } from '../../src/app.js';
import { parseConfig, deepMerge } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { RecordingSink } from './recording-sink.js';

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

/** Collector parameters a test may inject besides the config (RSS reader, cgroup file, memory-pressure listener). */
export type TestCollectorHooks = Pick<CollectorParams, 'readRssBytes' | 'cgroupMemoryMaxPath' | 'onMemoryPressure' | 'collectGarbage'>;

export async function startTestCollector(opts: { config?: ConfigInput; log?: Logger; hooks?: TestCollectorHooks } = {}): Promise<TestCollector> {
  // Shedding off unless a test asks for it (lag and memory cap): a loaded CI machine or a container's memory limit
  // must not refuse requests of unrelated tests.
  const base = { receive: { grpc: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 }, overload: { maxEventLoopLagMs: 10_000, maxRssBytes: 0 } } };
  const config = parseConfig(deepMerge(base, (opts.config ?? {}) as Record<string, unknown>));
  const sink = new RecordingSink();
  const collector = new Collector({ config, log: opts.log ?? silentLogger(), sink, ...opts.hooks });
  const { grpcPort, httpPort } = await collector.start();
  return {
    collector,
    sink,
    grpcPort: grpcPort!,
    httpPort: httpPort!,
    grpcTarget: `127.0.0.1:${grpcPort}`,
    grpcUrl: `http://127.0.0.1:${grpcPort}`,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    close: () => collector.stop(1_000),
  };
}
