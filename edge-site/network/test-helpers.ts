/** Test harness for the network module: an in-memory site, fake tokens and a JSON request helper. */
import type { AuthContext } from '../api/env.ts';
import { authFor, fakeTokens, mountForTest, testDeps } from '../testing/deps.ts';
import { createNetwork } from './index.ts';

/** A response: status and parsed JSON body (null for empty bodies). */
export interface Res {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response JSON.
  body: any;
}

/** Builds the network module over fresh deps; callers are admin, alice (p1 member), bob (p2 member), reader (p1). */
export async function networkHarness() {
  const deps = await testDeps();
  const tokens = fakeTokens();
  const identity = { tokens, bootstrap: async () => {} };
  const net = await createNetwork(deps, { identity });
  const app = mountForTest(deps, '/network', net.app);
  const who = {
    admin: authFor({ userId: 'admin', projectId: 'admin-p', roles: ['admin'] }),
    alice: authFor({ userId: 'alice', projectId: 'p1' }),
    bob: authFor({ userId: 'bob', projectId: 'p2' }),
    reader: authFor({ userId: 'rita', projectId: 'p1', roles: ['reader'] }),
  };
  for (const a of Object.values(who)) tokens.add(a);
  const call = async (as: AuthContext, method: string, path: string, body?: unknown): Promise<Res> => {
    const res = await app.request(`/network${path}`, {
      method,
      headers: { 'x-auth-token': as.token, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? null : JSON.parse(text) };
  };
  return { deps, net, app, who, call };
}
