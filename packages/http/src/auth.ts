/** Bearer-token check for every route of the plugin. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './errors.js';

/**
 * An `onRequest` hook that lets through only `Authorization: Bearer <token>`. Both sides are hashed first, so
 * `timingSafeEqual` compares equal-length digests and the time taken says nothing about the token.
 */
export function bearerAuth(token: string) {
  const expected = digest(token);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer[ ]+(\S+)\s*$/i.exec(header) : null;
    reply.header('www-authenticate', 'Bearer realm="swapbench"');
    if (!match) throw new HttpError(401, 'UNAUTHORIZED', 'authentication required: send Authorization: Bearer <token>');
    if (!timingSafeEqual(digest(match[1]!), expected)) throw new HttpError(401, 'UNAUTHORIZED', 'the bearer token was refused');
    reply.removeHeader('www-authenticate');
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
