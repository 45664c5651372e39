import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { BrumeError, type ErrorKind, isBrumeError } from '../../shared/errors.ts';
import type { AppEnv, ServiceName } from './env.ts';

/** The only kind -> HTTP status table. */
const STATUS: Record<ErrorKind, ContentfulStatusCode> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  not_acceptable: 406,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
  over_quota: 403,
  unavailable: 503,
  timeout: 504,
  internal: 500,
};

const TITLE: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Nova/Cinder fault names by status. */
const NOVA_FAULT: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  406: 'notAcceptable',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  503: 'serviceUnavailable',
  504: 'serviceUnavailable',
};

/** Neutron exception type names by status, when the error names none. */
const NEUTRON_TYPE: Record<number, string> = {
  400: 'BadRequest',
  401: 'NotAuthorized',
  403: 'PolicyNotAuthorized',
  404: 'NotFound',
  405: 'HTTPMethodNotAllowed',
  409: 'Conflict',
  413: 'HTTPRequestEntityTooLarge',
  503: 'ServiceUnavailable',
};

/** The error body each OpenStack service returns for `status`. */
export function errorBody(
  service: ServiceName,
  status: number,
  message: string,
  type?: string,
): Record<string, unknown> {
  const title = TITLE[status] ?? 'Error';
  switch (service) {
    case 'compute':
    case 'volume':
      return {
        [NOVA_FAULT[status] ?? (service === 'compute' ? 'computeFault' : 'volumeFault')]: { code: status, message },
      };
    case 'network':
      return { NeutronError: { type: type ?? NEUTRON_TYPE[status] ?? 'NeutronError', message, detail: '' } };
    case 'image':
      // Glance (webob) error document.
      return { code: `${status} ${title}`, title, message, explanation: message };
    case 'orchestration':
      return {
        code: status,
        title,
        explanation: message,
        error: { message, type: type ?? title.replaceAll(' ', ''), traceback: null },
      };
    default:
      return { error: { code: status, title, message } };
  }
}

/** Turns an error into the calling service's OpenStack error response. Unknown errors are logged 500s. */
export function errorResponse(err: unknown, c: Context<AppEnv>): Response {
  const service = c.get('service') ?? 'brume';
  if (isBrumeError(err)) {
    // Nova answers an exceeded quota with 403, Cinder with 413 overLimit (Tempest's OverLimit); Neutron's is a 409.
    const status = err.kind === 'over_quota' && service === 'volume' ? 413 : STATUS[err.kind];
    if (status >= 500) c.get('log')?.error({ err, code: err.code }, 'request failed');
    const res = c.json(errorBody(service, status, err.message, err.type), status);
    if (status === 401) res.headers.set('WWW-Authenticate', `Keystone uri="${new URL('/v3', c.req.url).href}"`);
    return res;
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const message = status === 413 ? 'Request is too large.' : err.message || (TITLE[status] ?? 'Error');
    return c.json(errorBody(service, status, message), status);
  }
  c.get('log')?.error({ err }, 'unhandled error');
  return c.json(errorBody(service, 500, 'An unexpected error prevented the server from fulfilling your request.'), 500);
}

/** 404 for routes no module serves, in the shape of the service the path prefix names. */
export function notFoundResponse(c: Context<AppEnv>): Response {
  return errorResponse(new BrumeError('not_found', 'api.route_not_found', `The resource could not be found.`), c);
}
