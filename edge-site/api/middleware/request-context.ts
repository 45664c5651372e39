import type { MiddlewareHandler } from 'hono';
import type { Clock } from '../../../shared/ports/clock.ts';
import type { IdSource } from '../../../shared/ports/ids.ts';
import type { Logger } from '../../../shared/ports/logger.ts';
import type { Metrics } from '../../ops/metrics.ts';
import type { AppEnv } from '../env.ts';

/**
 * Gives every request an id (returned as `X-Openstack-Request-Id`, Nova's `x-compute-request-id` too), a child
 * logger, and request count/latency metrics labelled by service, route pattern and status.
 */
export function requestContext(deps: {
  log: Logger;
  metrics: Metrics;
  clock: Clock;
  ids: IdSource;
}): MiddlewareHandler<AppEnv> {
  const requests = deps.metrics.counter('brume_http_requests_total', 'HTTP requests by service, route and status.');
  const latency = deps.metrics.histogram(
    'brume_http_request_duration_seconds',
    'HTTP request latency by service and route.',
  );
  return async (c, next) => {
    const requestId = `req-${deps.ids.uuid()}`;
    const log = deps.log.child({ request: requestId });
    c.set('requestId', requestId);
    c.set('log', log);
    c.set('service', 'brume');
    const started = deps.clock.now();
    await next();
    c.header('X-Openstack-Request-Id', requestId);
    if (c.get('service') === 'compute') c.header('X-Compute-Request-Id', requestId);
    const route = c.req.routePath || 'unmatched';
    const labels = { service: c.get('service'), method: c.req.method, route, status: c.res.status };
    requests.inc(labels);
    latency.observe({ service: c.get('service'), method: c.req.method, route }, (deps.clock.now() - started) / 1000);
    log.debug(
      { method: c.req.method, path: c.req.path, status: c.res.status, ms: deps.clock.now() - started },
      'request',
    );
  };
}
