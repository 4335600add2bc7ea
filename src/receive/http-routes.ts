/** OTLP/HTTP receiver: POST /v1/traces, /v1/logs and /v1/metrics, protobuf or JSON, optionally gzip/deflate-compressed. */
import { createGunzip, createInflate } from 'node:zlib';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AgtError } from '../model/errors.js';
import { errorAnswer, toHttpAnswer, type HttpAnswer } from './answers.js';
import type { ExportHandler } from './export-handler.js';

function formatOf(req: FastifyRequest): 'protobuf' | 'json' {
  return (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json') ? 'json' : 'protobuf';
}

/** The format of an error answer: protobuf only for a protobuf request; JSON for anything else (curl, a form post, no type). */
function answerFormatOf(req: FastifyRequest): 'protobuf' | 'json' {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  return type.startsWith('application/x-protobuf') || type.startsWith('application/protobuf') ? 'protobuf' : 'json';
}

function send(reply: FastifyReply, a: HttpAnswer): FastifyReply {
  return reply.code(a.status).headers(a.headers).send(a.body);
}

/** The AgtError a request refused by fastify or zlib (before the export handler) is answered with. */
function asAgtError(err: Error & { code?: string; statusCode?: number }, maxBodyBytes: number): AgtError {
  if (err instanceof AgtError) return err;
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.code === 'ERR_BUFFER_TOO_LARGE' || err.statusCode === 413) {
    return new AgtError('AGT_ERR_BODY_TOO_LARGE', `body is larger than ${maxBodyBytes} bytes (after decompression)`);
  }
  if (err.code === 'Z_DATA_ERROR' || err.code === 'Z_BUF_ERROR' || /incorrect header check|unexpected end of file/.test(err.message)) {
    return new AgtError('AGT_ERR_BAD_CONTENT_ENCODING', `body does not decompress: ${err.message}`);
  }
  if (err.statusCode === 415 || err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new AgtError('AGT_ERR_UNSUPPORTED_MEDIA_TYPE', 'use application/x-protobuf or application/json');
  }
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return new AgtError('AGT_ERR_MALFORMED_REQUEST', err.message);
  return new AgtError('AGT_ERR_INTERNAL', 'unexpected error', { cause: err });
}

/** Fastify plugin; its content-type parsers are encapsulated, so other routes keep fastify's defaults. */
export function otlpHttpRoutes(params: { handlers: { traces: ExportHandler; logs: ExportHandler; metrics: ExportHandler }; maxBodyBytes: number }): FastifyPluginAsync {
  const handlerOf = (req: FastifyRequest): ExportHandler => {
    if (req.url.startsWith('/v1/logs')) return params.handlers.logs;
    if (req.url.startsWith('/v1/metrics')) return params.handlers.metrics;
    return params.handlers.traces;
  };
  return async (app) => {
    app.removeAllContentTypeParsers();
    const asBuffer = (_req: FastifyRequest, body: Buffer, done: (err: Error | null, body?: Buffer) => void): void => done(null, body);
    app.addContentTypeParser('application/x-protobuf', { parseAs: 'buffer', bodyLimit: params.maxBodyBytes }, asBuffer);
    app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: params.maxBodyBytes }, asBuffer);
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: params.maxBodyBytes }, (req, _body, done) => {
      done(new AgtError('AGT_ERR_UNSUPPORTED_MEDIA_TYPE', `Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')} is not supported: use application/x-protobuf or application/json`));
    });

    // Decompress before the parser reads the body: the body limit then applies to the decompressed bytes (zip bombs → 413).
    app.addHook('preParsing', async (req, _reply, payload) => {
      const enc = String(req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
      if (enc === 'identity' || enc === '') return payload;
      if (enc !== 'gzip' && enc !== 'deflate') throw new AgtError('AGT_ERR_BAD_CONTENT_ENCODING', `Content-Encoding ${JSON.stringify(enc)} is not supported: use gzip, deflate or none`);
      const z = enc === 'gzip' ? createGunzip({ maxOutputLength: params.maxBodyBytes + 1 }) : createInflate({ maxOutputLength: params.maxBodyBytes + 1 });
      delete req.headers['content-length'];
      return payload.pipe(z);
    });

    app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, req, reply) => {
      const refusal = asAgtError(err, params.maxBodyBytes);
      if (refusal.code === 'AGT_ERR_INTERNAL') req.log.error({ err }, 'OTLP/HTTP export failed unexpectedly');
      handlerOf(req).countRefused('http', refusal.code, refusal.message);
      return send(reply, errorAnswer(refusal, answerFormatOf(req)));
    });

    // The same export also answers on Langfuse's OTLP path, so a Langfuse OTel exporter can point its baseUrl here.
    const exportRoute = async (req: FastifyRequest, reply: FastifyReply) => {
      const format = formatOf(req);
      const handler = handlerOf(req);
      const body = req.body;
      if (!Buffer.isBuffer(body)) {
        const refusal = new AgtError('AGT_ERR_UNSUPPORTED_MEDIA_TYPE', 'a Content-Type of application/x-protobuf or application/json is required');
        handler.countRefused('http', refusal.code, refusal.message);
        return send(reply, errorAnswer(refusal, answerFormatOf(req)));
      }
      const h = req.headers;
      const result = await handler.handle({
        credentials: { authorization: typeof h.authorization === 'string' ? h.authorization : undefined, apiKey: typeof h['x-api-key'] === 'string' ? h['x-api-key'] : undefined },
        body,
        format,
        transport: 'http',
      });
      return send(reply, toHttpAnswer(result, format, handler.rejectedJsonKey));
    };
    app.post('/v1/traces', { bodyLimit: params.maxBodyBytes }, exportRoute);
    app.post('/api/public/otel/v1/traces', { bodyLimit: params.maxBodyBytes }, exportRoute);
    app.post('/v1/logs', { bodyLimit: params.maxBodyBytes }, exportRoute);
    app.post('/v1/metrics', { bodyLimit: params.maxBodyBytes }, exportRoute);
  };
}
