/**
 * A small in-memory stand-in for a site's Nova/Neutron/Cinder/Glance APIs, enough for the resource plugins
 * (tests of the engine without a whole site). Servers go ACTIVE and volumes available on the next GET.
 */
import { Hono } from 'hono';

type Obj = Record<string, unknown>;

/** The fake and what tests inspect. */
export interface FakeCloud {
  app: Hono;
  /** Live objects by collection (servers, networks, subnets, ports, routers, floatingips, volumes, …). */
  objects: Map<string, Map<string, Obj>>;
  /** Requests seen, `METHOD path`. */
  calls: string[];
  /** Makes the next creates of `collection` fail with `status`. */
  failNext(collection: string, status: number, message: string): void;
}

/** A fake cloud; ids are UUID-shaped, distinct per `prefix`. */
export function fakeCloud(prefix = 'x'): FakeCloud {
  const objects = new Map<string, Map<string, Obj>>();
  const calls: string[] = [];
  const failures = new Map<string, { status: number; message: string }>();
  let n = 0;
  // UUID-shaped ids (plugins look names up unless given an id); the first group tells the sites apart.
  const site = [...prefix]
    .reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 7)
    .toString(16)
    .padStart(8, '0')
    .slice(0, 8);
  const col = (c: string) => {
    let m = objects.get(c);
    if (!m) {
      m = new Map();
      objects.set(c, m);
    }
    return m;
  };
  col('images').set('img-1', { id: 'img-1', name: 'cirros' });
  col('flavors').set('fl-1', { id: 'fl-1', name: 'm1.tiny' });
  col('flavors').set('fl-2', { id: 'fl-2', name: 'm1.small' });
  const app = new Hono();
  app.use(async (c, next) => {
    calls.push(`${c.req.method} ${new URL(c.req.url).pathname}`);
    await next();
  });
  const notFound = (c: { json: (b: unknown, s: 404) => Response }) =>
    c.json({ itemNotFound: { code: 404, message: 'not found' } }, 404);
  const create = (collection: string, body: Obj) => {
    const f = failures.get(collection);
    if (f) {
      failures.delete(collection);
      return { error: f };
    }
    const id = `${site}-0000-4000-8000-${(++n).toString(16).padStart(12, '0')}`;
    const obj = { ...body, id };
    col(collection).set(id, obj);
    return { obj };
  };

  // Nova
  app.get('/compute/v2.1/flavors/detail', (c) => c.json({ flavors: [...col('flavors').values()] }));
  app.get('/compute/v2.1/flavors/:id', (c) => {
    const f = col('flavors').get(c.req.param('id'));
    return f ? c.json({ flavor: f }) : notFound(c);
  });
  app.post('/compute/v2.1/servers', async (c) => {
    const body = ((await c.req.json()) as { server: Obj }).server;
    const r = create('servers', { ...body, status: 'BUILD' });
    if (r.error)
      return c.json({ badRequest: { code: r.error.status, message: r.error.message } }, r.error.status as 400);
    return c.json({ server: { id: r.obj?.id } }, 202);
  });
  app.get('/compute/v2.1/servers/:id', (c) => {
    const s = col('servers').get(c.req.param('id'));
    if (!s) return notFound(c);
    const shown = { ...s, addresses: { private: [{ addr: `10.0.0.${col('servers').size + 2}`, version: 4 }] } };
    s.status = 'ACTIVE';
    return c.json({ server: shown });
  });
  app.put('/compute/v2.1/servers/:id', async (c) => {
    const s = col('servers').get(c.req.param('id'));
    if (!s) return notFound(c);
    Object.assign(s, ((await c.req.json()) as { server: Obj }).server);
    return c.json({ server: s });
  });
  app.put('/compute/v2.1/servers/:id/metadata', async (c) => {
    const s = col('servers').get(c.req.param('id'));
    if (!s) return notFound(c);
    s.metadata = ((await c.req.json()) as { metadata: Obj }).metadata;
    return c.json({ metadata: s.metadata });
  });
  app.delete('/compute/v2.1/servers/:id', (c) =>
    col('servers').delete(c.req.param('id')) ? c.body(null, 204) : notFound(c),
  );
  app.post('/compute/v2.1/servers/:id/os-volume_attachments', async (c) => {
    const body = ((await c.req.json()) as { volumeAttachment: { volumeId: string } }).volumeAttachment;
    const v = col('volumes').get(body.volumeId);
    if (!v || !col('servers').has(c.req.param('id'))) return notFound(c);
    v.status = 'in-use';
    return c.json({ volumeAttachment: { id: body.volumeId, volumeId: body.volumeId, serverId: c.req.param('id') } });
  });
  app.delete('/compute/v2.1/servers/:id/os-volume_attachments/:vol', (c) => {
    const v = col('volumes').get(c.req.param('vol'));
    if (!v) return notFound(c);
    v.status = 'available';
    return c.body(null, 202);
  });
  app.post('/compute/v2.1/os-keypairs', async (c) => {
    const body = ((await c.req.json()) as { keypair: Obj }).keypair;
    col('keypairs').set(String(body.name), { ...body, public_key: body.public_key ?? 'ssh-ed25519 AAAA' });
    return c.json({ keypair: { ...body, private_key: 'PRIVATE' } });
  });
  app.get('/compute/v2.1/os-keypairs/:name', (c) => {
    const k = col('keypairs').get(c.req.param('name'));
    return k ? c.json({ keypair: k }) : notFound(c);
  });
  app.delete('/compute/v2.1/os-keypairs/:name', (c) =>
    col('keypairs').delete(c.req.param('name')) ? c.body(null, 202) : notFound(c),
  );

  // Glance
  app.get('/image/v2/images/:id', (c) => {
    const i = col('images').get(c.req.param('id'));
    return i ? c.json(i) : notFound(c);
  });
  app.get('/image/v2/images', (c) =>
    c.json({ images: [...col('images').values()].filter((i) => i.name === c.req.query('name')) }),
  );

  // Cinder
  app.post('/volume/v3/:project/volumes', async (c) => {
    const body = ((await c.req.json()) as { volume: Obj }).volume;
    const r = create('volumes', { ...body, status: 'creating' });
    if (r.error)
      return c.json({ badRequest: { code: r.error.status, message: r.error.message } }, r.error.status as 400);
    return c.json({ volume: r.obj }, 202);
  });
  app.get('/volume/v3/:project/volumes/:id', (c) => {
    const v = col('volumes').get(c.req.param('id'));
    if (!v) return notFound(c);
    const shown = { ...v };
    if (v.status === 'creating') v.status = 'available';
    return c.json({ volume: shown });
  });
  app.delete('/volume/v3/:project/volumes/:id', (c) =>
    col('volumes').delete(c.req.param('id')) ? c.body(null, 202) : notFound(c),
  );

  // Neutron (generic collections)
  const neutron: Array<[string, string]> = [
    ['networks', 'network'],
    ['subnets', 'subnet'],
    ['ports', 'port'],
    ['routers', 'router'],
    ['floatingips', 'floatingip'],
    ['security-groups', 'security_group'],
    ['security-group-rules', 'security_group_rule'],
  ];
  for (const [collection, key] of neutron) {
    const base = `/network/v2.0/${collection}`;
    app.get(base, (c) => {
      const name = c.req.query('name');
      return c.json({
        [collection.replace(/-/g, '_')]: [...col(collection).values()].filter((o) => !name || o.name === name),
      });
    });
    app.post(base, async (c) => {
      const body = ((await c.req.json()) as Record<string, Obj>)[key] ?? {};
      const r = create(collection, body);
      if (r.error)
        return c.json(
          { NeutronError: { type: 'BadRequest', message: r.error.message, detail: '' } },
          r.error.status as 400,
        );
      if (collection === 'floatingips') Object.assign(r.obj ?? {}, { floating_ip_address: '172.24.4.10' });
      return c.json({ [key]: r.obj }, 201);
    });
    app.get(`${base}/:id`, (c) => {
      const o = col(collection).get(c.req.param('id'));
      return o
        ? c.json({ [key]: o })
        : c.json({ NeutronError: { type: 'NotFound', message: 'not found', detail: '' } }, 404);
    });
    app.put(`${base}/:id`, async (c) => {
      const o = col(collection).get(c.req.param('id'));
      if (!o) return c.json({ NeutronError: { type: 'NotFound', message: 'not found', detail: '' } }, 404);
      Object.assign(o, ((await c.req.json()) as Record<string, Obj>)[key]);
      return c.json({ [key]: o });
    });
    app.delete(`${base}/:id`, (c) =>
      col(collection).delete(c.req.param('id'))
        ? c.body(null, 204)
        : c.json({ NeutronError: { type: 'NotFound', message: 'not found', detail: '' } }, 404),
    );
  }
  app.put('/network/v2.0/routers/:id/add_router_interface', async (c) => {
    const body = (await c.req.json()) as Obj;
    col('router-interfaces').set(`${c.req.param('id')}:${String(body.subnet_id ?? body.port_id)}`, body);
    return c.json({ id: c.req.param('id'), ...body });
  });
  app.put('/network/v2.0/routers/:id/remove_router_interface', async (c) => {
    const body = (await c.req.json()) as Obj;
    const k = `${c.req.param('id')}:${String(body.subnet_id ?? body.port_id)}`;
    return col('router-interfaces').delete(k)
      ? c.json({ id: c.req.param('id') })
      : c.json({ NeutronError: { type: 'NotFound', message: 'nf', detail: '' } }, 404);
  });
  return {
    app,
    objects,
    calls,
    failNext(collection, status, message) {
      failures.set(collection, { status, message });
    },
  };
}
