/** Cinder's metadata sub-resource (`/{id}/metadata[/{key}]`), shared by volumes and snapshots. */
import type { Context, Hono } from 'hono';
import { badRequest, notFound } from '../../../shared/errors.ts';
import { checkMetadata } from '../../volume/model.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv, AuthContext } from '../env.ts';
import { requireRole } from '../policy.ts';

/** A record with metadata, and how to load and update one. */
export interface MetadataOwner<R extends { id: string; metadata: Record<string, string> }> {
  /** `Volume` or `Snapshot`: used in messages. */
  noun: string;
  /** `volume` or `snapshot`: used in policy names (`volume:update_<kind>_metadata`). */
  kind: string;
  load(auth: AuthContext, id: string): Promise<R>;
  update(row: R, patch: { metadata: Record<string, string> }): Promise<unknown>;
}

/** The member of a `{key: value}` body, or undefined for a non-object body. */
function field(body: unknown, name: string): unknown {
  return body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
}

/** Mounts GET/POST/PUT `/:id/metadata` and GET/PUT/DELETE `/:id/metadata/:key` on `app`. */
export function mountMetadataRoutes<R extends { id: string; metadata: Record<string, string> }>(
  app: Hono<AppEnv>,
  owner: MetadataOwner<R>,
): void {
  const missing = (row: R, key: string) =>
    notFound('volume.metadata_not_found', `${owner.noun} ${row.id} has no metadata with key ${key}.`);
  const setAll = async (c: Context<AppEnv>, replace: boolean) => {
    requireRole(c.var.auth, 'member', `volume:update_${owner.kind}_metadata`);
    const row = await owner.load(c.var.auth, c.req.param('id') ?? '');
    const metadata = checkMetadata(field(await jsonBody(c), 'metadata'));
    const next = replace ? metadata : { ...row.metadata, ...metadata };
    await owner.update(row, { metadata: next });
    return c.json({ metadata: next });
  };
  app.get('/:id/metadata', async (c) =>
    c.json({ metadata: (await owner.load(c.var.auth, c.req.param('id'))).metadata }),
  );
  app.post('/:id/metadata', (c) => setAll(c, false));
  app.put('/:id/metadata', (c) => setAll(c, true));
  app.get('/:id/metadata/:key', async (c) => {
    const row = await owner.load(c.var.auth, c.req.param('id'));
    const key = c.req.param('key');
    const value = row.metadata[key];
    if (value === undefined) throw missing(row, key);
    return c.json({ meta: { [key]: value } });
  });
  app.put('/:id/metadata/:key', async (c) => {
    requireRole(c.var.auth, 'member', `volume:update_${owner.kind}_metadata`);
    const row = await owner.load(c.var.auth, c.req.param('id'));
    const key = c.req.param('key');
    const meta = checkMetadata(field(await jsonBody(c), 'meta'), 'meta');
    if (Object.keys(meta).length !== 1 || meta[key] === undefined) {
      throw badRequest('volume.invalid_metadata', 'Request body and URI mismatch');
    }
    await owner.update(row, { metadata: { ...row.metadata, ...meta } });
    return c.json({ meta });
  });
  app.delete('/:id/metadata/:key', async (c) => {
    requireRole(c.var.auth, 'member', `volume:delete_${owner.kind}_metadata`);
    const row = await owner.load(c.var.auth, c.req.param('id'));
    const key = c.req.param('key');
    if (row.metadata[key] === undefined) throw missing(row, key);
    const { [key]: _gone, ...rest } = row.metadata;
    await owner.update(row, { metadata: rest });
    return c.body(null, 200);
  });
}
