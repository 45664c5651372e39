import type { MiddlewareHandler } from 'hono';
import type { AppEnv, ServiceName } from '../env.ts';

/** Tags every request of a sub-app with its OpenStack service (error body shape, metrics label). */
export function serviceTag(service: ServiceName): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set('service', service);
    await next();
  };
}
