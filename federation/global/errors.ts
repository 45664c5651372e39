import type { ServiceName } from '../../edge-site/api/env.ts';
import { errorBody } from '../../edge-site/api/errors.ts';

/** The OpenStack service a site path belongs to (`/compute/...` → compute), which decides the error body. */
export function serviceOf(path: string): ServiceName {
  const first = path.split('/')[1] ?? '';
  switch (first) {
    case 'compute':
    case 'image':
    case 'network':
    case 'volume':
    case 'orchestration':
      return first;
    case 'federation':
    case 'dashboard':
      return 'brume';
    default:
      return 'identity';
  }
}

/** An error in the shape of `service`'s OpenStack error body. */
export function errorResponse(
  service: ServiceName,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(errorBody(service, status, message)), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** 503: every site of `region` is unreachable. Names the region in the message and in `X-Brume-Region`. */
export function regionUnavailable(service: ServiceName, region: string, why: string): Response {
  return errorResponse(service, 503, `Region ${region} is unreachable (${why}); other regions are unaffected.`, {
    'X-Brume-Region': region,
    'Retry-After': '10',
  });
}

/** 401 with Keystone's `WWW-Authenticate` pointing at the global identity endpoint. */
export function unauthorizedResponse(service: ServiceName, base: string): Response {
  return errorResponse(service, 401, 'The request you have made requires authentication.', {
    'WWW-Authenticate': `Keystone uri="${base}/v3"`,
  });
}
