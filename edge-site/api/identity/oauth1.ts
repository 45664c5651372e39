import { Hono } from 'hono';
import { z } from 'zod';
import { badRequest } from '../../../shared/errors.ts';
import { toHex } from '../../../shared/ports/ids.ts';
import type { OAuthConsumer } from '../../../shared/schemas/catalog/index.ts';
import type { IdentityCore } from '../../identity/index.ts';
import { enforce, policy } from '../../identity/policy.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { baseUrl, caller, listBody, zDescription } from './common.ts';

const consumerCreate = z.object({ consumer: z.object({ description: zDescription }) });
const consumerUpdate = z.object({ consumer: z.looseObject({ description: zDescription }) });

/** The consumer as Keystone shows it: the secret only in the create response. */
function consumerView(cn: OAuthConsumer, base: string, withSecret = false) {
  return {
    id: cn.id,
    description: cn.description,
    ...(withSecret ? { secret: cn.secret } : {}),
    links: { self: `${base}/v3/OS-OAUTH1/consumers/${cn.id}` },
  };
}

/**
 * /v3/OS-OAUTH1/consumers (consumer management only: the request/access token delegation flow is not served).
 * Keystone's defaults: system readers read, admins write.
 */
export function oauth1Routes(core: IdentityCore): Hono<AppEnv> {
  const { admin, deps } = core;
  const app = new Hono<AppEnv>();
  type Ctx = Parameters<typeof caller>[0];
  const reader = (c: Ctx, action: string) => enforce(policy.systemReader(caller(c)), action);
  const writer = (c: Ctx, action: string) => enforce(policy.admin(caller(c)), action);

  app.get('/consumers', (c) => {
    reader(c, 'identity:list_consumers');
    const base = baseUrl(c);
    return c.json(
      listBody(
        c,
        'consumers',
        deps.catalog.list('oauth_consumers').map((cn) => consumerView(cn, base)),
      ),
    );
  });
  app.post('/consumers', async (c) => {
    writer(c, 'identity:create_consumer');
    const { consumer: b } = await jsonBody(c, consumerCreate);
    const cn: OAuthConsumer = {
      id: admin.newId(),
      description: b.description ?? '',
      secret: toHex(deps.ids.bytes(32)),
    };
    await admin.put('oauth_consumers', cn);
    return c.json({ consumer: consumerView(cn, baseUrl(c), true) }, 201);
  });
  app.get('/consumers/:id', (c) => {
    reader(c, 'identity:get_consumer');
    return c.json({ consumer: consumerView(admin.need('oauth_consumers', c.req.param('id')), baseUrl(c)) });
  });
  app.patch('/consumers/:id', async (c) => {
    writer(c, 'identity:update_consumer');
    const prev = admin.need('oauth_consumers', c.req.param('id'));
    const { consumer: b } = await jsonBody(c, consumerUpdate);
    if ('secret' in b) throw badRequest('identity.invalid_update', 'Cannot change consumer secret.');
    const cn: OAuthConsumer = { ...prev, ...(b.description !== undefined ? { description: b.description ?? '' } : {}) };
    await admin.put('oauth_consumers', cn);
    return c.json({ consumer: consumerView(cn, baseUrl(c)) });
  });
  app.delete('/consumers/:id', async (c) => {
    writer(c, 'identity:delete_consumer');
    const id = admin.need('oauth_consumers', c.req.param('id')).id;
    await admin.write([{ op: 'delete', collection: 'oauth_consumers', id }]);
    return c.body(null, 204);
  });
  return app;
}
