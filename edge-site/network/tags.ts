/**
 * Neutron's tag API (standard-attr-tag) over every taggable resource: `/{collection}/{id}/tags[/{tag}]`. Tags live in
 * each resource's `tags` column; reading needs visibility, writing needs ownership (as for the resource's update).
 */
import { eq } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { AuthContext } from '../api/env.ts';
import { floatingIps, networks, ports, routers, securityGroups, subnets } from '../db/schema/network.ts';
import { type NetCtx, owns } from './context.ts';
import { badAttribute, notFoundOf, policyDenied } from './errors.ts';
import { loadFloatingIp } from './floating-ips.ts';
import { loadNetwork } from './networks.ts';
import { loadPort } from './ports.ts';
import { loadRouter } from './routers.ts';
import { loadSecurityGroup } from './security-groups.ts';
import { loadSubnet } from './subnets.ts';

/** What the tag API needs of a resource row. */
interface Taggable {
  projectId: string;
  tags: string[];
  revision: number;
}

interface Kind {
  table: SQLiteTable;
  id: SQLiteColumn;
  load: (ctx: NetCtx, auth: AuthContext, id: string) => Promise<Taggable>;
}

/** Taggable collections by their URL name. */
export const TAGGABLE: Record<string, Kind> = {
  networks: { table: networks, id: networks.id, load: loadNetwork },
  subnets: { table: subnets, id: subnets.id, load: loadSubnet },
  ports: { table: ports, id: ports.id, load: async (ctx, auth, id) => (await loadPort(ctx, auth, id)).row },
  routers: { table: routers, id: routers.id, load: loadRouter },
  'security-groups': { table: securityGroups, id: securityGroups.id, load: loadSecurityGroup },
  floatingips: { table: floatingIps, id: floatingIps.id, load: loadFloatingIp },
};
/** Neutron's MAX_TAGS. */
const MAX_TAGS = 50;

function kindOf(collection: string): Kind {
  const k = TAGGABLE[collection];
  if (!k) throw notFoundOf('NotFound', 'The resource could not be found.');
  return k;
}

function checkTag(tag: string): string {
  if (tag.length === 0 || tag.length > 255 || tag.includes(',')) {
    throw badAttribute('tags', `'${tag}' is not a valid tag: 1 to 255 characters, no comma`);
  }
  return tag;
}

/** The resource's tags (visible resources only). */
export async function listTags(ctx: NetCtx, auth: AuthContext, collection: string, id: string): Promise<string[]> {
  return (await kindOf(collection).load(ctx, auth, id)).tags;
}

/** 204 when the tag is on the resource, 404 TagNotFound otherwise. */
export async function checkTagExists(ctx: NetCtx, auth: AuthContext, collection: string, id: string, tag: string) {
  const row = await kindOf(collection).load(ctx, auth, id);
  if (!row.tags.includes(tag)) throw notFoundOf('TagNotFound', `Tag ${tag} could not be found.`);
}

async function save(
  ctx: NetCtx,
  auth: AuthContext,
  collection: string,
  id: string,
  change: (tags: string[]) => string[],
): Promise<string[]> {
  const kind = kindOf(collection);
  const row = await kind.load(ctx, auth, id);
  if (!owns(auth, row.projectId)) throw policyDenied(`rule:update_${collection}_tags`);
  const next = [...new Set(change(row.tags).map(checkTag))];
  if (next.length > MAX_TAGS) throw badAttribute('tags', `a resource can have at most ${MAX_TAGS} tags`);
  await ctx.db
    .update(kind.table)
    .set({ tags: next, revision: row.revision + 1, updatedAt: ctx.deps.clock.now() })
    .where(eq(kind.id, id));
  return next;
}

/** `PUT …/tags`: replaces every tag. */
export function replaceTags(ctx: NetCtx, auth: AuthContext, collection: string, id: string, tags: string[]) {
  return save(ctx, auth, collection, id, () => tags);
}

/** `PUT …/tags/{tag}`: adds one tag. */
export function addTag(ctx: NetCtx, auth: AuthContext, collection: string, id: string, tag: string) {
  return save(ctx, auth, collection, id, (t) => [...t, tag]);
}

/** `DELETE …/tags/{tag}`: 404 TagNotFound when absent. */
export async function removeTag(ctx: NetCtx, auth: AuthContext, collection: string, id: string, tag: string) {
  await checkTagExists(ctx, auth, collection, id, tag);
  return save(ctx, auth, collection, id, (t) => t.filter((x) => x !== tag));
}

/** `DELETE …/tags`. */
export function clearTags(ctx: NetCtx, auth: AuthContext, collection: string, id: string) {
  return save(ctx, auth, collection, id, () => []);
}
