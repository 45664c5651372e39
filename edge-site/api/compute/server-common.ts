/** Helpers shared by the server routes: loading a visible server and rendering it. */
import { eq } from 'drizzle-orm';
import type { Context } from 'hono';
import { conflict, notFound } from '../../../shared/errors.ts';
import type { ComputeContext } from '../../compute/context.ts';
import { atLeast } from '../../compute/microversion.ts';
import type { ServerRow } from '../../compute/servers/store.ts';
import { type ServerViewKind, serverView } from '../../compute/servers/view.ts';
import { computeServerGroups } from '../../db/schema/compute.ts';
import type { ServerPort } from '../../services.ts';
import type { AppEnv } from '../env.ts';
import { canSeeProject, isAdmin } from '../policy.ts';

/**
 * The live server `id` if the caller may see it; 404 otherwise (other projects' servers included). With
 * `deleted`, a deleted server is returned too (instance actions of deleted servers, from 2.21).
 */
export async function loadServer(
  ctx: ComputeContext,
  c: Context<AppEnv>,
  id: string,
  opts: { deleted?: boolean } = {},
): Promise<ServerRow> {
  const row = await ctx.store.get(id);
  if (!row || (row.deletedAt && !opts.deleted) || !canSeeProject(c.var.auth, row.projectId)) {
    throw notFound('compute.instance_not_found', `Instance ${id} could not be found.`);
  }
  return row;
}

/** 409 when a non-admin acts on a locked server (Nova's InstanceIsLocked). */
export function assertUnlocked(c: Context<AppEnv>, row: ServerRow): void {
  if (row.locked && !isAdmin(c.var.auth)) {
    throw conflict('compute.instance_locked', `Instance ${row.id} is locked`);
  }
}

/** Renders a server for the request's microversion (with its ports and, from 2.71 in show, its groups). */
export async function renderServer(
  ctx: ComputeContext,
  c: Context<AppEnv>,
  row: ServerRow,
  kind: ServerViewKind,
  show: boolean,
  /** Ports prefetched for a listing (see NetworkService.portsOfServers). */
  prefetched?: ServerPort[],
): Promise<Record<string, unknown>> {
  const ports = row.deletedAt ? [] : (prefetched ?? (await ctx.services.network.portsOfServer(row.id)));
  let groups: string[] = [];
  if (show && atLeast(c, 71)) {
    const all = await ctx.deps.db.db.select().from(computeServerGroups);
    groups = all.filter((g) => g.members.includes(row.id)).map((g) => g.id);
  }
  // os-extended-volumes:volumes_attached (detail views only).
  const volumes =
    row.deletedAt || (kind !== 'detail' && !atLeast(c, 75))
      ? []
      : ((await ctx.services.volume?.attachmentsOfServer(row.id)) ?? []);
  return serverView(c, ctx.services.fleet, row, ports, { kind, show, groups, volumes });
}

/** Loads the server group rows (used by os-server-groups). */
export async function groupById(ctx: ComputeContext, id: string) {
  const [g] = await ctx.deps.db.db.select().from(computeServerGroups).where(eq(computeServerGroups.id, id));
  return g;
}
