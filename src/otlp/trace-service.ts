/**
 * The OTLP/gRPC export services with raw-bytes (de)serializers, for everything that speaks them: the receiver
 * (decoding happens in its handler, where errors are ours to name), the simulator's sender, and the benches' clients
 * and ceiling server.
 */
import type { ServiceDefinition } from '@grpc/grpc-js';

/** opentelemetry.proto.collector.trace.v1.TraceService/Export. */
export const TRACE_EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
/** opentelemetry.proto.collector.logs.v1.LogsService/Export. */
export const LOGS_EXPORT_PATH = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';
/** opentelemetry.proto.collector.metrics.v1.MetricsService/Export. */
export const METRICS_EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

/** A message passed through as the bytes it is. */
export const rawBytes = (b: Buffer): Buffer => b;

/** A service whose one unary Export at `path` takes and answers raw bytes. */
export function rawExportService(path: string): ServiceDefinition {
  return {
    Export: {
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: rawBytes,
      requestDeserialize: rawBytes,
      responseSerialize: rawBytes,
      responseDeserialize: rawBytes,
    },
  };
}

/** TraceService with Export taking and answering raw bytes. */
export const rawTraceService: ServiceDefinition = rawExportService(TRACE_EXPORT_PATH);
