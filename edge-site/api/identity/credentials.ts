import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { z } from 'zod';
import { badRequest, conflict, notFound } from '../../../shared/errors.ts';
import { toHex } from '../../../shared/ports/ids.ts';
import type { Credential } from '../../../shared/schemas/catalog/index.ts';
import type { IdentityCore } from '../../identity/index.ts';
import { enforce, policy } from '../../identity/policy.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { baseUrl, caller, filterList, listBody } from './common.ts';

const credentialCreate = z.object({
  credential: z.object({
    user_id: z.string().min(1).max(64),
    project_id: z.string().min(1).max(64).nullish(),
    type: z.string().min(1).max(255),
    blob: z.string().min(1),
  }),
});
const credentialUpdate = z.object({
  credential: z.object({
    user_id: z.string().min(1).max(64).optional(),
    project_id: z.string().min(1).max(64).nullish(),
    type: z.string().min(1).max(255).optional(),
    blob: z.string().min(1).optional(),
  }),
});
const ec2Create = z.object({ tenant_id: z.string().min(1).max(64) });

interface Ec2Blob {
  access: string;
  secret: string;
  trust_id?: string | null;
}

/** The EC2 blob of an 'ec2' credential, or undefined when the blob is not one. */
export function ec2Blob(blob: string): Ec2Blob | undefined {
  try {
    const v: unknown = JSON.parse(blob);
    if (typeof v !== 'object' || v === null) return undefined;
    const { access, secret, trust_id } = v as Record<string, unknown>;
    if (typeof access !== 'string' || typeof secret !== 'string') return undefined;
    return { access, secret, trust_id: typeof trust_id === 'string' ? trust_id : null };
  } catch {
    return undefined;
  }
}

/** Keystone's EC2 credential id: sha256 of the access key, in hex. */
export function ec2Id(access: string): string {
  return createHash('sha256').update(access).digest('hex');
}

function credentialView(cr: Credential, base: string) {
  return {
    id: cr.id,
    user_id: cr.user_id,
    project_id: cr.project_id,
    type: cr.type,
    blob: cr.blob,
    links: { self: `${base}/v3/credentials/${cr.id}` },
  };
}

function ec2View(cr: Credential, blob: Ec2Blob, base: string) {
  return {
    user_id: cr.user_id,
    tenant_id: cr.project_id,
    access: blob.access,
    secret: blob.secret,
    trust_id: blob.trust_id ?? null,
    links: { self: `${base}/v3/users/${cr.user_id}/credentials/OS-EC2/${blob.access}` },
  };
}

/**
 * /v3/credentials and /v3/users/{id}/credentials/OS-EC2. Keystone's defaults: an admin manages every credential,
 * a system reader reads them, any user manages its own. Blobs are stored as given (Keystone encrypts them at rest).
 */
export function credentialRoutes(core: IdentityCore): Hono<AppEnv> {
  const { admin, deps, dir } = core;
  const c0 = deps.catalog;
  const app = new Hono<AppEnv>();
  type Ctx = Parameters<typeof caller>[0];
  const ownerOr = (c: Ctx, userId: string, action: string, write: boolean) => {
    const a = caller(c);
    enforce(a.userId === userId || (write ? policy.admin(a) : policy.systemReader(a)), action);
  };
  /** Another user's credential is 404 to a non-reader, as Keystone hides what the policy filters out. */
  const visible = (c: Ctx, id: string, write: boolean): Credential => {
    const cr = c0.get('credentials', id);
    const a = caller(c);
    const ok = cr && (a.userId === cr.user_id || (write ? policy.admin(a) : policy.systemReader(a)));
    if (!cr || !ok) throw notFound('identity.credential_not_found', `Could not find credential: ${id}.`);
    return cr;
  };
  const checkRefs = (userId: string, projectId: string | null | undefined) => {
    if (!dir.user(userId)) throw badRequest('identity.user_not_found', `Could not find user: ${userId}.`);
    if (projectId && !dir.project(projectId)) {
      throw badRequest('identity.project_not_found', `Could not find project: ${projectId}.`);
    }
  };
  /** EC2 credentials need a project and a JSON blob with access and secret; their id is sha256(access). */
  const idFor = (type: string, blob: string, projectId: string | null | undefined): string => {
    if (type !== 'ec2') return admin.newId();
    const ec2 = ec2Blob(blob);
    if (!ec2) throw badRequest('identity.invalid_blob', 'Invalid blob in credential: ec2 needs access and secret.');
    if (!projectId) throw badRequest('identity.invalid_blob', 'Invalid input for field/attribute project_id.');
    return ec2Id(ec2.access);
  };

  app.get('/credentials', (c) => {
    const a = caller(c);
    const all = c0.list('credentials').filter((cr) => policy.systemReader(a) || cr.user_id === a.userId);
    const base = baseUrl(c);
    const items = filterList(c, all, ['user_id', 'type']).map((cr) => credentialView(cr, base));
    return c.json(listBody(c, 'credentials', items));
  });
  app.post('/credentials', async (c) => {
    const { credential: b } = await jsonBody(c, credentialCreate);
    ownerOr(c, b.user_id, 'identity:create_credential', true);
    checkRefs(b.user_id, b.project_id);
    const id = idFor(b.type, b.blob, b.project_id);
    if (c0.get('credentials', id)) throw conflict('identity.duplicate_credential', 'Duplicate credential.');
    const cr: Credential = { id, user_id: b.user_id, project_id: b.project_id ?? null, type: b.type, blob: b.blob };
    await admin.put('credentials', cr);
    return c.json({ credential: credentialView(cr, baseUrl(c)) }, 201);
  });
  app.get('/credentials/:id', (c) => {
    const cr = visible(c, c.req.param('id'), false);
    return c.json({ credential: credentialView(cr, baseUrl(c)) });
  });
  app.patch('/credentials/:id', async (c) => {
    const prev = visible(c, c.req.param('id'), true);
    const { credential: b } = await jsonBody(c, credentialUpdate);
    if (b.user_id !== undefined) ownerOr(c, b.user_id, 'identity:update_credential', true);
    const cr: Credential = {
      ...prev,
      ...(b.user_id !== undefined ? { user_id: b.user_id } : {}),
      ...(b.project_id !== undefined ? { project_id: b.project_id ?? null } : {}),
      ...(b.type !== undefined ? { type: b.type } : {}),
      ...(b.blob !== undefined ? { blob: b.blob } : {}),
    };
    checkRefs(cr.user_id, cr.project_id);
    if (cr.type === 'ec2' && (!ec2Blob(cr.blob) || !cr.project_id)) {
      throw badRequest('identity.invalid_blob', 'Invalid blob in credential: ec2 needs access, secret and a project.');
    }
    await admin.put('credentials', cr);
    return c.json({ credential: credentialView(cr, baseUrl(c)) });
  });
  app.delete('/credentials/:id', async (c) => {
    const cr = visible(c, c.req.param('id'), true);
    await admin.write([{ op: 'delete', collection: 'credentials', id: cr.id }]);
    return c.body(null, 204);
  });

  // OS-EC2: EC2-style credentials of one user, addressed by access key.
  const ec2Of = (userId: string) =>
    c0
      .list('credentials')
      .filter((cr) => cr.user_id === userId && cr.type === 'ec2')
      .flatMap((cr) => {
        const blob = ec2Blob(cr.blob);
        return blob ? [{ cr, blob }] : [];
      });
  const userMustExist = (id: string) => {
    if (!dir.user(id)) throw notFound('identity.user_not_found', `Could not find user: ${id}.`);
  };
  app.get('/users/:id/credentials/OS-EC2', (c) => {
    const userId = c.req.param('id');
    ownerOr(c, userId, 'identity:ec2_list_credentials', false);
    userMustExist(userId);
    const base = baseUrl(c);
    return c.json(
      listBody(
        c,
        'credentials',
        ec2Of(userId).map(({ cr, blob }) => ec2View(cr, blob, base)),
      ),
    );
  });
  app.post('/users/:id/credentials/OS-EC2', async (c) => {
    const userId = c.req.param('id');
    ownerOr(c, userId, 'identity:ec2_create_credential', true);
    userMustExist(userId);
    const b = await jsonBody(c, ec2Create);
    if (!dir.project(b.tenant_id)) {
      throw notFound('identity.project_not_found', `Could not find project: ${b.tenant_id}.`);
    }
    const blob: Ec2Blob = { access: toHex(deps.ids.bytes(16)), secret: toHex(deps.ids.bytes(16)), trust_id: null };
    const cr: Credential = {
      id: ec2Id(blob.access),
      user_id: userId,
      project_id: b.tenant_id,
      type: 'ec2',
      blob: JSON.stringify(blob),
    };
    await admin.put('credentials', cr);
    return c.json({ credential: ec2View(cr, blob, baseUrl(c)) }, 201);
  });
  const findEc2 = (c: Ctx, action: string, write: boolean) => {
    const userId = c.req.param('id') ?? '';
    const access = c.req.param('access') ?? '';
    ownerOr(c, userId, action, write);
    const found = ec2Of(userId).find(({ blob }) => blob.access === access);
    if (!found) throw notFound('identity.credential_not_found', `Could not find credential: ${access}.`);
    return found;
  };
  app.get('/users/:id/credentials/OS-EC2/:access', (c) => {
    const { cr, blob } = findEc2(c, 'identity:ec2_get_credential', false);
    return c.json({ credential: ec2View(cr, blob, baseUrl(c)) });
  });
  app.delete('/users/:id/credentials/OS-EC2/:access', async (c) => {
    const { cr } = findEc2(c, 'identity:ec2_delete_credential', true);
    await admin.write([{ op: 'delete', collection: 'credentials', id: cr.id }]);
    return c.body(null, 204);
  });
  return app;
}
