/**
 * The OTLP/gRPC trace service with raw-bytes (de)serializers, for everything that speaks it: the receiver (decoding
 * happens in its handler, where errors are ours to name), the simulator's sender, and the benches' clients and
 * ceiling server.
 */
import type { ServiceDefinition } from '@grpc/grpc-js';

/** The one RPC: opentelemetry.proto.collector.trace.v1.TraceService/Export. */
export const TRACE_EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** A message passed through as the bytes it is. */
export const rawBytes = (b: Buffer): Buffer => b;

/** TraceService with Export taking and answering raw bytes. */
export const rawTraceService: ServiceDefinition = {
  Export: {
    path: TRACE_EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: rawBytes,
    requestDeserialize: rawBytes,
    responseSerialize: rawBytes,
    responseDeserialize: rawBytes,
  },
};
