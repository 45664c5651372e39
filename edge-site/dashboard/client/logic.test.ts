import { describe, expect, it } from 'vitest';
import { errorMessage } from './errors.ts';
import { type FederationSite, federationGraph } from './federation-model.ts';
import { addresses, bytes, duration, megabytes, usage } from './format.ts';
import { handoffFragment, handoverQuestion, parseHandoff, regions, toSession } from './session.ts';
import { isCidr4, validateKeypair, validateLaunch, validateNetwork, validateRule, validateVolume } from './validate.ts';

describe('errorMessage: every OpenStack error shape', () => {
  it.each([
    [
      'Keystone',
      401,
      { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } },
      'The request you have made requires authentication.',
    ],
    [
      'Nova',
      404,
      { itemNotFound: { code: 404, message: 'Instance xyz could not be found.' } },
      'Instance xyz could not be found.',
    ],
    ['Cinder', 400, { badRequest: { code: 400, message: 'Invalid volume size.' } }, 'Invalid volume size.'],
    ['Neutron', 409, { NeutronError: { type: 'Conflict', message: 'Port in use.', detail: '' } }, 'Port in use.'],
    [
      'Glance',
      404,
      { code: '404 Not Found', title: 'Not Found', message: 'No image found.', explanation: 'x' },
      'No image found.',
    ],
    [
      'Heat',
      400,
      { code: 400, title: 'Bad Request', explanation: 'Bad template.', error: { message: 'Template is bad.' } },
      'Bad template.',
    ],
  ])('%s', (_, status, body, want) => {
    expect(errorMessage(status, JSON.stringify(body))).toBe(want);
  });

  it('strips HTML pages and never shows a stack trace', () => {
    expect(errorMessage(502, '<html><body><h1>502 Bad Gateway</h1></body></html>')).toBe('502 Bad Gateway');
    const trace = 'TypeError: x is undefined\n    at foo (/srv/a.ts:1:2)\n    at bar (/srv/b.ts:3:4)';
    expect(errorMessage(500, JSON.stringify({ error: { message: trace } }))).toBe('TypeError: x is undefined');
  });

  it('falls back to the status when the body says nothing', () => {
    expect(errorMessage(503, '')).toBe('The request failed (HTTP 503).');
    expect(errorMessage(500, '{}')).toBe('The request failed (HTTP 500).');
    expect(errorMessage(500, 'x'.repeat(1000)).length).toBeLessThan(410);
  });
});

describe('formatting', () => {
  it('formats sizes, RAM, durations and usage', () => {
    expect(bytes(0)).toBe('0 B');
    expect(bytes(1536)).toBe('1.5 KiB');
    expect(bytes(3 * 1024 * 1024 * 1024)).toBe('3.0 GiB');
    expect(bytes(null)).toBe('—');
    expect(megabytes(512)).toBe('512 MB');
    expect(megabytes(2048)).toBe('2 GB');
    expect(duration(12.4)).toBe('12 s');
    expect(duration(185)).toBe('3 min 5 s');
    expect(duration(7440)).toBe('2 h 4 min');
    expect(usage(3, 10)).toEqual({ fraction: 0.3, label: '3 of 10' });
    expect(usage(3, -1)).toEqual({ fraction: 0, label: '3 of unlimited' });
    expect(usage(12, 10).fraction).toBe(1);
    expect(addresses({ net1: [{ addr: '10.0.0.5' }], empty: [] })).toBe('net1: 10.0.0.5');
  });
});

describe('validation before sending', () => {
  it('launch form', () => {
    expect(validateLaunch({ name: 'vm1', image: 'i', flavor: 'f', count: '2', userData: '' })).toEqual({});
    const p = validateLaunch({ name: ' ', image: '', flavor: '', count: '0', userData: '' });
    expect(Object.keys(p).sort()).toEqual(['count', 'flavor', 'image', 'name']);
    expect(validateLaunch({ name: 'a', image: 'i', flavor: 'f', count: '1.5', userData: '' }).count).toBeDefined();
  });
  it('volumes, networks, key pairs, rules', () => {
    expect(validateVolume({ name: 'v', size: '10' })).toEqual({});
    expect(validateVolume({ name: 'v', size: '-1' }).size).toBeDefined();
    expect(isCidr4('10.0.0.0/24')).toBe(true);
    expect(isCidr4('10.0.0.300/24')).toBe(false);
    expect(isCidr4('10.0.0.0/33')).toBe(false);
    expect(validateNetwork({ name: 'n', cidr: '' })).toEqual({});
    expect(validateNetwork({ name: 'n', cidr: 'nope' }).cidr).toBeDefined();
    expect(validateKeypair({ name: 'k1', publicKey: '' })).toEqual({});
    expect(validateKeypair({ name: 'k1', publicKey: 'ssh-ed25519 AAAAC3Nza me@host' })).toEqual({});
    expect(validateKeypair({ name: 'k/1', publicKey: 'not a key' })).toHaveProperty('publicKey');
    expect(validateRule({ protocol: 'tcp', portMin: '22', portMax: '22', cidr: '0.0.0.0/0' })).toEqual({});
    expect(validateRule({ protocol: 'tcp', portMin: '90', portMax: '80', cidr: '' }).portMax).toBeDefined();
    expect(validateRule({ protocol: 'tcp', portMin: '70000', portMax: '', cidr: '' }).portMin).toBeDefined();
  });
});

describe('regions and the federation graph', () => {
  it('lists each region with its site dashboard', () => {
    const catalog = [
      {
        type: 'identity',
        endpoints: [
          { interface: 'public', region: 'site1', url: 'http://127.0.0.1:5000/v3' },
          { interface: 'admin', region: 'site1', url: 'http://127.0.0.1:5000/v3' },
          { interface: 'public', region: 'site2', url: 'http://127.0.0.1:5001/v3' },
        ],
      },
    ];
    expect(regions(catalog)).toEqual([
      { region: 'site1', dashboard: 'http://127.0.0.1:5000/dashboard/' },
      { region: 'site2', dashboard: 'http://127.0.0.1:5001/dashboard/' },
    ]);
  });

  it('hands a token over to another region in the URL fragment and reads it back', () => {
    const f = handoffFragment('eyJ.a+b/c=', 'b8fe02337c1c82999dbf920ecfa5672e', 'instances');
    expect(parseHandoff(f)).toEqual({
      token: 'eyJ.a+b/c=',
      project: 'b8fe02337c1c82999dbf920ecfa5672e',
      page: 'instances',
    });
    expect(parseHandoff('#/overview')).toBeNull();
    expect(parseHandoff('#handoff=%E0%A4%A&project=p')).toBeNull();
  });

  it('asks before adopting a handed-over token: who, which domain, project and region', () => {
    const session = toSession('tok', {
      token: {
        expires_at: '2026-01-01T01:00:00.000Z',
        user: { id: 'u1', name: 'alice', domain: { id: 'default', name: 'Default' } },
        project: { id: 'p1', name: 'demo' },
        roles: [{ name: 'member' }],
        catalog: [
          {
            type: 'identity',
            endpoints: [
              { interface: 'public', region: 'site1', url: 'http://127.0.0.1:5000/v3' },
              { interface: 'public', region: 'site2', url: 'http://127.0.0.1:5001/v3' },
            ],
          },
        ],
      },
    });
    expect(session).toMatchObject({ token: 'tok', user: { id: 'u1', name: 'alice' }, roles: ['member'] });
    const h = { session, domain: 'Default', page: 'overview' };
    expect(handoverQuestion(h, 'http://127.0.0.1:5001')).toBe('Continue as alice (Default) in project demo on site2?');
    // An origin the catalog does not name: the host stands in for the region.
    expect(handoverQuestion(h, 'http://127.0.0.1:5009')).toBe(
      'Continue as alice (Default) in project demo on 127.0.0.1:5009?',
    );
    const unnamed = { ...h, session: { ...session, project: { id: 'p1', name: '' } } };
    expect(handoverQuestion(unnamed, 'http://127.0.0.1:5000')).toBe(
      'Continue as alice (Default) in project p1 on site1?',
    );
  });

  it('says how long a site has been unreachable, by the site clock', () => {
    const site = (over: Partial<FederationSite>): FederationSite => ({
      id: 'x',
      name: 'x',
      region: null,
      url: null,
      self: false,
      status: 'up',
      reachable: true,
      last_contact: null,
      down_since: null,
      replication: { in_sync: true, out_of_sync_since: null, lag_ms: 0 },
      ...over,
    });
    const { nodes } = federationGraph([
      site({
        id: 'site2',
        name: 'site2',
        status: 'down',
        reachable: false,
        last_contact: '2026-01-01T00:00:00.000Z',
        down_since: '2026-01-01T00:00:03.000Z',
        replication: { in_sync: false, out_of_sync_since: '2026-01-01T00:00:03.000Z', lag_ms: 12_000 },
      }),
      site({ id: 'site1', name: 'site1', self: true, last_contact: '2026-01-01T00:00:15.000Z', replication: null }),
      site({ id: 'site3', name: 'site3', status: 'unknown', reachable: false }),
    ]);
    expect(nodes.map((n) => n.id)).toEqual(['site1', 'site2', 'site3']);
    expect(nodes[0]).toMatchObject({ state: 'up', liveness: 'this site', x: 180, y: 60 });
    expect(nodes[1]).toMatchObject({
      state: 'down',
      liveness: 'unreachable for 12 s',
      lastContact: '15 s ago',
      replication: 'behind for 12 s',
    });
    expect(nodes[2]).toMatchObject({ state: 'unknown', liveness: 'never contacted', lastContact: 'never' });
  });
});
