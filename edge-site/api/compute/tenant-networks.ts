/** `/v2.1/os-tenant-networks[/{id}]` and `/v2.1/os-networks[/{id}]`: Nova's network proxies (before 2.36), read from the site's Neutron. */
import { type Context, Hono } from 'hono';
import { notFound } from '../../../shared/errors.ts';
import { atLeast } from '../../compute/microversion.ts';
import { neutron } from '../../compute/neutron-proxy.ts';
import type { AppEnv } from '../env.ts';

interface NeutronNetwork {
  id: string;
  name: string;
}

/** The tenant networks sub-app. `cidr` is always null, as in Nova with Neutron. */
export function tenantNetworkRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const view = (n: NeutronNetwork) => ({ id: n.id, label: n.name, cidr: null });
  const proxyOnly = (c: Context<AppEnv>) => {
    if (atLeast(c, 36)) throw notFound('api.route_not_found', 'The resource could not be found.');
  };
  app.get('/', async (c) => {
    proxyOnly(c);
    const { networks } = await neutron<{ networks: NeutronNetwork[] }>(c, 'GET', '/networks');
    return c.json({ networks: networks.map(view) });
  });
  app.get('/:id', async (c) => {
    proxyOnly(c);
    const { networks } = await neutron<{ networks: NeutronNetwork[] }>(c, 'GET', '/networks');
    const n = networks.find((x) => x.id === c.req.param('id'));
    if (!n) throw notFound('compute.network_not_found', `Network ${c.req.param('id')} could not be found.`);
    return c.json({ network: view(n) });
  });
  return app;
}
