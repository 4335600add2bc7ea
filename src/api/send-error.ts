/** Sends an AgtError from a read-API route as JSON, with the registry's HTTP status. */
import type { FastifyReply } from 'fastify';
import type { AgtError } from '../model/errors.js';
import { errorAnswer } from '../receive/answers.js';

export function sendError(reply: FastifyReply, err: AgtError): FastifyReply {
  const a = errorAnswer(err, 'json');
  return reply.code(a.status).headers(a.headers).send(a.body);
}
