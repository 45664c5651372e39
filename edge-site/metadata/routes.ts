/**
 * The site's metadata API (`/metadata/...`, Nova's nova-api-metadata): agents' relays forward guests' requests to
 * 169.254.169.254 here, naming the instance in `X-Instance-ID` signed with the shared secret. Unsigned or forged
 * requests are refused (400 without an id, 403 with a bad signature), unknown or deleted instances are 404s.
 * No Keystone token: the signature is the credential (Nova's `metadata_proxy_shared_secret`).
 */
import { Hono } from 'hono';
import { BrumeError, notFound } from '../../shared/errors.ts';
import {
  INSTANCE_ID_HEADER,
  INSTANCE_SIGNATURE_HEADER,
  instanceSignatureValid,
} from '../../shared/metadata-signature.ts';
import type { InstanceSpec } from '../../shared/schemas/agent-protocol.ts';
import type { AppEnv } from '../api/env.ts';
import { serviceTag } from '../api/middleware/service.ts';
import { metadataDocument } from './content.ts';

/** What the routes need. */
export interface MetadataRoutesOptions {
  /** The shared secret (resolved per request: it may be read from disk on first use). */
  secret(): Promise<string>;
  /** The instance's current spec (as its spawn would get it), or undefined when it does not exist (any more). */
  instanceSpec(id: string): Promise<InstanceSpec | undefined>;
}

/** The metadata sub-app, mounted at `/metadata`. */
export function metadataRoutes(options: MetadataRoutesOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(serviceTag('compute'));
  app.on(['GET', 'HEAD'], '/*', async (c) => {
    const id = c.req.header(INSTANCE_ID_HEADER);
    if (!id) throw new BrumeError('bad_request', 'metadata.instance_id_missing', 'X-Instance-ID header is missing');
    const signature = c.req.header(INSTANCE_SIGNATURE_HEADER) ?? '';
    if (!instanceSignatureValid(await options.secret(), id, signature)) {
      c.get('log')?.warn({ instance: id, from: c.req.header('X-Forwarded-For') }, 'metadata: bad instance signature');
      throw new BrumeError('forbidden', 'metadata.bad_signature', 'Invalid proxy request signature.');
    }
    const spec = await options.instanceSpec(id);
    if (!spec) throw notFound('metadata.instance_not_found', `Instance ${id} could not be found.`);
    const path = c.req.path.replace(/^.*?\/metadata(?=\/|$)/, '');
    const doc = metadataDocument(spec, path);
    if (!doc) throw notFound('metadata.not_found', 'The resource could not be found.');
    return c.body(typeof doc.body === 'string' ? doc.body : new Uint8Array(doc.body), 200, {
      'Content-Type': doc.contentType,
    });
  });
  return app;
}
