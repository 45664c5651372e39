/** Heat's own resource types: RandomString, None, TestResource and ResourceGroup. */
import { substitute } from '../template/functions.ts';
import { physicalName, propertyError, type ResourceContext, type ResourceType, validateProperties } from './types.ts';

const CLASSES: Record<string, string> = {
  lettersdigits: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  letters: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
  lowercase: 'abcdefghijklmnopqrstuvwxyz',
  uppercase: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  digits: '0123456789',
  hexdigits: '0123456789abcdef',
  octdigits: '01234567',
};

/** A random string of `length` from the classes/sequences asked, with their minimum counts (Heat's algorithm, simplified). */
export function randomString(bytes: (n: number) => Uint8Array, p: Record<string, unknown>): string {
  const length = Number(p.length ?? 32);
  const classes = (p.character_classes as Array<{ class?: string; min?: number }> | undefined) ?? [];
  const seqs = (p.character_sequences as Array<{ sequence?: string; min?: number }> | undefined) ?? [];
  const pools: Array<{ chars: string; min: number }> = [
    ...classes.map((c) => ({
      chars: CLASSES[c.class ?? 'lettersdigits'] ?? CLASSES.lettersdigits ?? '',
      min: Number(c.min ?? 1),
    })),
    ...seqs.map((s) => ({ chars: String(s.sequence ?? ''), min: Number(s.min ?? 1) })),
  ];
  if (typeof p.sequence === 'string') pools.push({ chars: CLASSES[p.sequence] ?? CLASSES.lettersdigits ?? '', min: 0 });
  if (pools.length === 0) pools.push({ chars: CLASSES.lettersdigits ?? '', min: 0 });
  const need = pools.reduce((n, x) => n + x.min, 0);
  if (need > length)
    throw propertyError(
      'Length property cannot be smaller than combined character class and character sequence minimums',
    );
  const r = bytes(length * 2);
  let i = 0;
  const draw = (chars: string) => chars[(r[i++] ?? 0) % chars.length] ?? '';
  const out: string[] = [];
  for (const pool of pools) for (let k = 0; k < pool.min; k++) out.push(draw(pool.chars));
  const all = [...new Set(pools.map((x) => x.chars).join(''))].join('');
  while (out.length < length) out.push(draw(all));
  // Shuffle so the minimums are not all at the front.
  for (let k = out.length - 1; k > 0; k--) {
    const j = (r[i++ % r.length] ?? 0) % (k + 1);
    [out[k], out[j]] = [out[j] ?? '', out[k] ?? ''];
  }
  return out.join('');
}

export const heatRandomString: ResourceType = {
  description: 'A random string, e.g. a password.',
  properties: {
    length: { type: 'integer', default: 32 },
    sequence: { type: 'string' },
    character_classes: { type: 'list' },
    character_sequences: { type: 'list' },
    salt: { type: 'string' },
  },
  attributes: { value: 'The random string.' },
  async create(ctx, p) {
    ctx.data.value = randomString((n) => ctx.ids.bytes(n), p);
    return physicalName(ctx);
  },
  delete: async () => {},
  attribute: async (ctx, _id, name) => (name === 'value' ? (ctx.data.value ?? null) : null),
};

export const heatNone: ResourceType = {
  description: 'Does nothing (placeholder).',
  properties: {},
  attributes: {},
  create: async (ctx) => physicalName(ctx),
  delete: async () => {},
  attribute: async () => null,
};

export const heatTestResource: ResourceType = {
  description: 'A test resource: echoes `value`, can fail or wait.',
  properties: {
    value: { type: 'string', default: 'test_string', update_allowed: true },
    update_replace: { type: 'boolean', default: false, update_allowed: true },
    fail: { type: 'boolean', default: false, update_allowed: true },
    client_name: { type: 'string', default: '' },
    entity_name: { type: 'string', default: '' },
    wait_secs: { type: 'number', default: 0, update_allowed: true },
    action_wait_secs: { type: 'map', default: {}, update_allowed: true },
    attr_wait_secs: { type: 'number', default: 0 },
    constraint_prop_secs: { type: 'number', default: 0 },
  },
  attributes: { output: 'The value property.' },
  async create(ctx, p) {
    const waitSecs = Number((p.action_wait_secs as Record<string, unknown>).create ?? p.wait_secs ?? 0);
    if (waitSecs > 0) await ctx.sleep(waitSecs * 1000);
    if (p.fail) throw new Error('Test Resource failed');
    ctx.data.value = p.value;
    return physicalName(ctx);
  },
  async update(ctx, _id, p) {
    const waitSecs = Number((p.action_wait_secs as Record<string, unknown>).update ?? p.wait_secs ?? 0);
    if (waitSecs > 0) await ctx.sleep(waitSecs * 1000);
    if (p.fail) throw new Error('Test Resource failed');
    ctx.data.value = p.value;
  },
  delete: async () => {},
  attribute: async (ctx, _id, name) => (name === 'output' ? (ctx.data.value ?? null) : null),
};

interface Member {
  id: string | null;
  data: Record<string, unknown>;
}

function memberCtx(ctx: ResourceContext, members: Member[], i: number): ResourceContext {
  const m = members[i] ?? { id: null, data: {} };
  members[i] = m;
  return { ...ctx, resourceName: `${ctx.resourceName}-${i}`, data: m.data };
}

async function addMembers(ctx: ResourceContext, p: Record<string, unknown>, from: number, to: number): Promise<void> {
  const def = p.resource_def as { type?: string; properties?: Record<string, unknown> };
  const type = ctx.types.get(String(def.type));
  if (!type) throw propertyError(`The Resource Type (${String(def.type)}) could not be found.`);
  if (!Array.isArray(ctx.data.members)) ctx.data.members = [];
  const members = ctx.data.members as Member[];
  const indexVar = String(p.index_var ?? '%index%');
  await Promise.all(
    Array.from({ length: to - from }, async (_, k) => {
      const i = from + k;
      const props = validateProperties(
        `${ctx.resourceName}-${i}`,
        type,
        substitute(def.properties ?? {}, { [indexVar]: String(i) }) as Record<string, unknown>,
      );
      const mctx = memberCtx(ctx, members, i);
      const id = await type.create(mctx, props);
      (members[i] as Member).id = id;
      await type.checkCreate?.(mctx, id, props);
    }),
  );
}

async function removeMembers(ctx: ResourceContext, p: Record<string, unknown>, from: number): Promise<void> {
  const def = p.resource_def as { type?: string };
  const type = ctx.types.get(String(def.type));
  const members = (ctx.data.members ?? []) as Member[];
  await Promise.all(
    members.slice(from).map(async (m, k) => {
      if (m.id && type) await type.delete(memberCtx(ctx, members, from + k), m.id);
    }),
  );
  members.length = Math.min(members.length, from);
}

export const heatResourceGroup: ResourceType = {
  description: 'Creates `count` identical resources from `resource_def` (with %index% substituted).',
  properties: {
    count: { type: 'integer', default: 1, update_allowed: true },
    resource_def: { type: 'map', required: true },
    index_var: { type: 'string', default: '%index%' },
    removal_policies: { type: 'list', default: [], update_allowed: true },
    removal_policies_mode: { type: 'string', default: 'append', update_allowed: true },
  },
  attributes: {
    refs: 'Ids of the members.',
    refs_map: 'Member index -> id.',
    attributes: 'An attribute of every member, by index.',
    removed_rsrc_list: 'Removed members.',
  },
  async create(ctx, p) {
    ctx.data.type = (p.resource_def as { type?: string }).type;
    ctx.data.members = [];
    await addMembers(ctx, p, 0, Number(p.count));
    return ctx.ids.uuid();
  },
  async update(ctx, _id, p) {
    const have = ((ctx.data.members ?? []) as Member[]).length;
    const want = Number(p.count);
    if (want > have) await addMembers(ctx, p, have, want);
    else if (want < have) await removeMembers(ctx, p, want);
  },
  async delete(ctx) {
    await removeMembers(ctx, { resource_def: { type: ctx.data.type } }, 0);
  },
  async attribute(ctx, _id, name) {
    const members = (ctx.data.members ?? []) as Member[];
    const type = ctx.types.get(String(ctx.data.type));
    const attrOf = (i: number, attr: string) =>
      type && members[i]?.id
        ? type.attribute(memberCtx(ctx, members, i), members[i]?.id ?? '', attr)
        : Promise.resolve(null);
    if (name === 'refs') return members.map((m) => m.id);
    if (name === 'refs_map') return Object.fromEntries(members.map((m, i) => [String(i), m.id]));
    if (name === 'removed_rsrc_list') return [];
    const m = /^resource\.(\d+)(?:\.(.+))?$/.exec(name);
    if (m) {
      const i = Number(m[1]);
      return m[2] ? attrOf(i, m[2]) : (members[i]?.id ?? null);
    }
    return Promise.all(members.map((_, i) => attrOf(i, name)));
  },
};
