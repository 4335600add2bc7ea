import { describe, expect, it } from 'vitest';
import { encodeExportResponse, exportResponseJson } from '../../src/otlp/encode-response.js';
import { otlpRoot } from '../support/otlp-protobufjs.js';

const ResponseType = otlpRoot.lookupType('ExportTraceServiceResponse');

describe('encodeExportResponse', () => {
  it('returns the empty message when nothing was rejected', () => {
    expect(encodeExportResponse({ rejected: 0, errorMessage: '' })).toEqual(new Uint8Array(0));
  });

  it('encodes partial_success that protobufjs reads back', () => {
    const bytes = encodeExportResponse({ rejected: 300, errorMessage: 'spanId is all zero ✓' });
    const decoded = ResponseType.toObject(ResponseType.decode(bytes), { longs: Number });
    expect(decoded).toEqual({ partialSuccess: { rejectedSpans: 300, errorMessage: 'spanId is all zero ✓' } });
  });

  it('encodes a message without a count (a warning) too', () => {
    const decoded = ResponseType.toObject(ResponseType.decode(encodeExportResponse({ rejected: 0, errorMessage: 'w' })), { longs: Number });
    expect(decoded).toEqual({ partialSuccess: { errorMessage: 'w' } });
  });
});

describe('exportResponseJson', () => {
  it('returns {} when nothing was rejected', () => {
    expect(exportResponseJson({ rejected: 0, errorMessage: '' })).toEqual({});
  });

  it('writes rejectedSpans as an int64 string', () => {
    expect(exportResponseJson({ rejected: 3, errorMessage: 'bad' })).toEqual({ partialSuccess: { rejectedSpans: '3', errorMessage: 'bad' } });
  });
});
