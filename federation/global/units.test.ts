import { describe, expect, it } from 'vitest';
import { rewriteCatalog } from './catalog.ts';
import { configFromEnv, parseGlobalConfig } from './config.ts';
import { errorResponse, serviceOf } from './errors.ts';
import { createHealth } from './health.ts';
import { isCollection, resourceOf } from './locate.ts';
import { forwardHeaders, rebase } from './proxy.ts';
import { parseScope, scopedRegion } from './scope.ts';
import { SiteTable, siteBaseOf } from './sites.ts';

describe('circuit breaker', () => {
  it('opens after N failures, lets one probe through after the cooldown, closes on success', () => {
    let now = 0;
    const h = createHealth({ now: () => now, failures: 2, cooldownMs: 1000 });
    expect(h.allow('s')).toBe(true);
    h.failure('s');
    expect(h.healthy('s')).toBe(true);
    h.failure('s');
    expect(h.allow('s')).toBe(false);
    expect(h.states().s?.state).toBe('open');
    now = 1000;
    expect(h.allow('s')).toBe(true);
    expect(h.allow('s')).toBe(false);
    h.failure('s');
    expect(h.allow('s')).toBe(false);
    now = 2000;
    expect(h.allow('s')).toBe(true);
    h.success('s');
    expect(h.healthy('s')).toBe(true);
    expect(h.allow('s')).toBe(true);
  });
});

describe('paths, URLs and headers', () => {
  it('finds site bases, resource ids and creates', () => {
    expect(siteBaseOf('http://h:1/volume/v3/abc')).toBe('http://h:1');
    expect(siteBaseOf('http://h:1/prefix/compute/v2.1')).toBe('http://h:1/prefix');
    expect(siteBaseOf('http://h:1/v3')).toBe('http://h:1');
    expect(siteBaseOf('not a url')).toBeUndefined();
    const id = '01a200e1-54d5-766d-b27f-a5e634b3c12b';
    expect(resourceOf(`/compute/v2.1/servers/${id}/action`)).toEqual({
      id,
      collection: 'servers',
      prefix: `/compute/v2.1/servers/${id}`,
    });
    // A project id in Cinder's path is not a resource.
    expect(resourceOf('/volume/v3/0123456789abcdef0123456789abcdef/volumes')).toBeUndefined();
    expect(resourceOf('/compute/v2.1/servers/detail')).toBeUndefined();
    expect(isCollection('/volume/v3/p/volumes')).toBe(true);
    expect(isCollection('/compute/v2.1/servers/detail')).toBe(false);
    expect(serviceOf('/network/v2.0/ports')).toBe('network');
    expect(serviceOf('/v3/users')).toBe('identity');
  });

  it('rebases whole URLs only', () => {
    expect(rebase('{"a":"http://h:5000/x","b":"http://h:50001/y","c":"http://h:5000"}', 'http://h:5000', 'G')).toBe(
      '{"a":"G/x","b":"http://h:50001/y","c":"G"}',
    );
  });

  it('strips headers that could spoof identity, origin or scope', () => {
    const h = forwardHeaders(
      new Request('http://g/x', {
        headers: {
          'X-Auth-Token': 't',
          'X-Brume-Scope': 'region=a',
          'X-Brume-Image-No-Relay': '1',
          'X-Forwarded-For': '1.2.3.4',
          Forwarded: 'for=1.2.3.4',
          'CF-Connecting-IP': '1.2.3.4',
          'OpenStack-API-Version': 'compute 2.79',
        },
      }),
    );
    expect([...h.keys()].sort()).toEqual(['openstack-api-version', 'x-auth-token']);
  });

  it('builds OpenStack error bodies per service', async () => {
    expect(await errorResponse('compute', 503, 'm').json()).toEqual({
      serviceUnavailable: { code: 503, message: 'm' },
    });
    expect(await errorResponse('network', 503, 'm').json()).toEqual({
      NeutronError: { type: 'ServiceUnavailable', message: 'm', detail: '' },
    });
    expect(((await errorResponse('image', 503, 'm').json()) as { code: string }).code).toBe('503 Service Unavailable');
  });
});

describe('scope header and config', () => {
  it('parses service=region pairs', () => {
    const r = parseScope('compute=nantes, image=paris');
    expect(r).toEqual({ scope: { compute: 'nantes', image: 'paris' } });
    if ('scope' in r) {
      expect(scopedRegion(r.scope, 'compute')).toBe('nantes');
      expect(scopedRegion(r.scope, 'network')).toBeUndefined();
    }
    expect(scopedRegion({ region: 'x' }, 'volume')).toBe('x');
    expect('error' in parseScope('nantes')).toBe(true);
  });

  it('reads the environment and reports what is missing', () => {
    const ok = parseGlobalConfig(
      configFromEnv({ BRUME_GLOBAL_SITES: 'http://a:1/, http://b:2', BRUME_GLOBAL_FAILURES: '3' }),
    );
    expect(ok.ok && ok.config.sites).toEqual(['http://a:1', 'http://b:2']);
    expect(ok.ok && ok.config.failures).toBe(3);
    const bad = parseGlobalConfig(configFromEnv({}));
    expect(!bad.ok && bad.diagnostics.join()).toContain('BRUME_GLOBAL_SITES');
  });
});

describe('sites and catalog', () => {
  it('groups sites into regions from the site list and token catalogs', () => {
    const t = new SiteTable(['http://a:1']);
    t.learnSites(
      {
        sites: [
          { id: 'a', region: 'west', url: 'http://a:1' },
          { id: 'b', region: 'west', url: 'http://b:1' },
          { id: 'c', region: 'east', url: 'http://c:1' },
        ],
      },
      0,
    );
    expect(t.regions()).toEqual(['east', 'west']);
    expect(t.inRegion('west').map((s) => s.id)).toEqual(['a', 'b']);
    t.learnCatalog([{ type: 'compute', endpoints: [{ region_id: 'north', url: 'http://d:1/compute/v2.1' }] }]);
    expect(t.inRegion('north').map((s) => s.url)).toEqual(['http://d:1']);
    expect(t.stale(10, 15)).toBe(false);
    expect(t.stale(15, 15)).toBe(true);
  });

  it('lists each service once per region through the global API, plus the fan-out region last', () => {
    const out = rewriteCatalog(
      [
        {
          id: 's',
          type: 'compute',
          endpoints: [
            { id: 'e2', interface: 'public', region_id: 'b', url: 'http://b:1/compute/v2.1' },
            { id: 'e1', interface: 'public', region_id: 'a', url: 'http://a:1/compute/v2.1' },
            { id: 'e3', interface: 'public', region_id: 'a', url: 'http://a2:1/compute/v2.1' },
          ],
        },
      ],
      'https://g',
      'all',
    );
    expect(out[0]?.endpoints.map((e) => `${e.region_id} ${e.url}`)).toEqual([
      'a https://g/r/a/compute/v2.1',
      'b https://g/r/b/compute/v2.1',
      'all https://g/r/all/compute/v2.1',
    ]);
  });
});
