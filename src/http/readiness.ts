/**
 * Readiness: `/readyz` answers 200 only when tenants are loaded and the store answers within
 * `READY_TIMEOUT_MS`; a load balancer stops sending traffic to a replica that answers 503.
 */
import { type FastifyInstance } from 'fastify';

const READY_TIMEOUT_MS = 2000;

export interface ReadinessDeps {
  readonly tenantCount: () => number;
  /** Resolves when the store answers. */
  readonly store: { ping(): Promise<void> };
}

export function useReadinessCheck(app: FastifyInstance, deps: ReadinessDeps): void {
  app.get('/readyz', async (request, reply) => {
    if (deps.tenantCount() === 0) {
      return reply.code(503).send({ status: 'unavailable', reason: 'no tenants loaded' });
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        deps.store.ping(),
        new Promise((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`store ping took longer than ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      request.log.warn({ err: error }, 'readiness: store unreachable');
      return reply.code(503).send({ status: 'unavailable', reason: 'store unreachable' });
    } finally {
      clearTimeout(timer);
    }
    return { status: 'ready' };
  });
}
