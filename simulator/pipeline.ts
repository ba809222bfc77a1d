/**
 * The request pipeline every CXone and control route runs through (Prism-style): a route's handler
 * returns a {@link Reply} value instead of writing to the socket, so stages placed in front of it
 * (fault injection today) can replace, delay, rewrite or drop that reply without the handler
 * knowing. Only {@link sendReply} touches the response.
 */
import { type Request, type Response } from 'express';
import { type Logger } from 'pino';
import { type ErrorShape } from './errors.js';

/** What a route answers; `drop` destroys the connection without any response. */
export type Reply =
  | { readonly kind: 'json'; readonly status: number; readonly body: unknown; readonly headers?: Readonly<Record<string, string>> }
  | { readonly kind: 'empty'; readonly status: number; readonly headers?: Readonly<Record<string, string>> }
  | {
      readonly kind: 'text';
      readonly status: number;
      readonly contentType: string;
      readonly text: string;
      readonly headers?: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'drop' };

export type JsonReply = Extract<Reply, { kind: 'json' }>;

/** Routes whose traffic faults can be injected into (`POST /_sim/faults`). */
export const FAULT_ROUTES = ['token', 'discovery', 'signal', 'end'] as const;
export type FaultRoute = (typeof FAULT_ROUTES)[number];

/** Why the body stage could not read a request body, if it could not. */
export type BodyProblem = 'malformed' | 'too_large' | 'unsupported_encoding';

/** What a handler and the stages see of one request. */
export interface RouteContext {
  readonly req: Request;
  readonly route: RouteDef;
  readonly log: Logger;
  /** `http://host:port` as the client addressed the simulator: issuer and api_endpoint derive from it. */
  readonly baseUrl: string;
  readonly bodyProblem: BodyProblem | undefined;
  /** Aborted when the simulator closes, so delays never outlive it. */
  readonly signal: AbortSignal;
}

export type Handler = (ctx: RouteContext) => Reply | Promise<Reply>;

/** A pipeline stage: may answer itself, or call `next` and transform what the handler replied. */
export type Stage = (ctx: RouteContext, next: () => Promise<Reply>) => Promise<Reply>;

/** One hand-written route. */
export interface RouteDef {
  readonly method: 'get' | 'post' | 'put' | 'delete';
  /** Express path; Express matches it case-insensitively. */
  readonly path: string;
  /** The fault route this route belongs to, if faults can be injected into it. */
  readonly fault?: FaultRoute;
  /** The error shape for errors no handler produced (body-parser failures, crashes). */
  readonly shape: ErrorShape;
  readonly handle: Handler;
}

/** Runs `stages` in order around `handler` (the first stage is outermost). */
export function runPipeline(stages: readonly Stage[], handler: Handler, ctx: RouteContext): Promise<Reply> {
  const at = async (index: number): Promise<Reply> => {
    const stage = stages[index];
    return stage === undefined ? handler(ctx) : stage(ctx, () => at(index + 1));
  };
  return at(0);
}

/** A named path parameter as a string (Express types allow arrays for wildcards). */
export function pathParam(ctx: RouteContext, name: string): string | undefined {
  const value: unknown = ctx.req.params[name];
  return typeof value === 'string' ? value : undefined;
}

/** Writes a reply to the response (the pipeline's only side effect on the socket). */
export function sendReply(res: Response, reply: Reply): void {
  switch (reply.kind) {
    case 'drop':
      res.socket?.destroy();
      return;
    case 'json':
      res.status(reply.status).set(reply.headers ?? {});
      res.type('application/json').send(JSON.stringify(reply.body));
      return;
    case 'empty':
      res.status(reply.status).set(reply.headers ?? {}).end();
      return;
    case 'text':
      res.status(reply.status).set(reply.headers ?? {});
      res.type(reply.contentType).send(reply.text);
      return;
    default:
      throw new UnreachableCaseError(reply);
  }
}

/** Thrown by exhaustive switches; the `never` parameter makes a missed case a compile error. */
export class UnreachableCaseError extends Error {
  constructor(value: never) {
    super(`Unreachable case: ${JSON.stringify(value)}`);
  }
}
