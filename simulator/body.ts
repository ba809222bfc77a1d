/** Reading request bodies inside handlers; the body stage in `app.ts` has already parsed them. */
import { type z } from 'zod';
import { apiError } from './errors.js';
import { type Reply, type RouteContext } from './pipeline.js';

export type Read<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reply: Reply };

/** The JSON body, or undefined when the request had none (or not declared as JSON). */
export function jsonBody(ctx: RouteContext): Read<unknown> {
  switch (ctx.bodyProblem) {
    case undefined:
      return { ok: true, value: ctx.req.is('application/json') ? (ctx.req.body as unknown) : undefined };
    case 'malformed':
      return { ok: false, reply: apiError('invalid_request', 'The request body is not valid JSON.') };
    case 'too_large':
      return { ok: false, reply: apiError('payload_too_large', 'The request body is too large.') };
    case 'unsupported_encoding':
      return { ok: false, reply: apiError('invalid_request', 'The request body has an unsupported charset or encoding.') };
  }
}

/** The JSON body validated by `schema`, or a 400 naming each bad field. */
export function validBody<S extends z.ZodType>(ctx: RouteContext, schema: S): Read<z.output<S>> {
  const body = jsonBody(ctx);
  if (!body.ok) return body;
  if (body.value === undefined) {
    return { ok: false, reply: apiError('invalid_request', 'Send a JSON object body with Content-Type: application/json.') };
  }
  const result = schema.safeParse(body.value);
  if (result.success) return { ok: true, value: result.data };
  const problems = result.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`);
  return { ok: false, reply: apiError('invalid_request', `Invalid request body: ${problems.join('; ')}`) };
}
