/** Liveness: `/healthz` answers while the process runs; it checks nothing else, by design. */
import { type FastifyInstance } from 'fastify';

export function useHealthCheck(app: FastifyInstance): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
}
