/**
 * Decodes a serialized google.rpc.Status (the grpc-status-details-bin trailer, or an OTLP/HTTP error body) with
 * protobufjs from the published field numbers: code, message, the type URLs of its details, and the RetryInfo delay.
 */
import protobuf from 'protobufjs';

const rpcRoot = protobuf.Root.fromJSON({
  nested: {
    Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 }, details: { rule: 'repeated', type: 'Any', id: 3 } } },
    Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } },
    Duration: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
    RetryInfo: { fields: { retryDelay: { type: 'Duration', id: 1 } } },
  },
});
const StatusType = rpcRoot.lookupType('Status');
const RetryInfoType = rpcRoot.lookupType('RetryInfo');
const RETRY_INFO = 'type.googleapis.com/google.rpc.RetryInfo';

/** A decoded google.rpc.Status. */
export interface DecodedStatus {
  code: number;
  message: string;
  /** The RetryInfo delay in ms, or null when there is no RetryInfo detail. */
  retryDelayMs: number | null;
  detailTypes: string[];
}

export function decodeRpcStatus(bytes: Uint8Array): DecodedStatus {
  const s = StatusType.toObject(StatusType.decode(bytes), { longs: Number, defaults: true }) as { code: number; message: string; details: { type_url: string; value: Uint8Array }[] };
  const retry = s.details.find((d) => d.type_url === RETRY_INFO);
  let retryDelayMs: number | null = null;
  if (retry) {
    const ri = RetryInfoType.toObject(RetryInfoType.decode(retry.value), { longs: Number, defaults: true }) as { retryDelay: { seconds: number; nanos: number } };
    retryDelayMs = ri.retryDelay.seconds * 1000 + ri.retryDelay.nanos / 1_000_000;
  }
  return { code: s.code, message: s.message, retryDelayMs, detailTypes: s.details.map((d) => d.type_url) };
}
