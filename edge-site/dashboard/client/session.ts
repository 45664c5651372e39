/** The signed-in user's Keystone token and what came with it, kept in sessionStorage (this tab only). */

/** One catalog entry of the token. */
export interface CatalogEntry {
  type: string;
  endpoints: Array<{ interface: string; region: string; region_id?: string; url: string }>;
}

/** What the dashboard keeps of a token. */
export interface Session {
  token: string;
  expiresAt: string;
  user: { id: string; name: string };
  project: { id: string; name: string };
  roles: string[];
  catalog: CatalogEntry[];
}

const KEY = 'brume.session';
const NOTICE = 'brume.notice';

/** The current session, or null when signed out. */
export function loadSession(): Session | null {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as Session;
  } catch {
    return null;
  }
}

/** Stores a session. */
export function saveSession(s: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(s));
}

/** Forgets the session; `notice` is shown on the login page (e.g. why the user was signed out). */
export function clearSession(notice?: string): void {
  sessionStorage.removeItem(KEY);
  if (notice) sessionStorage.setItem(NOTICE, notice);
}

/** The message left for the login page, read once. */
export function takeNotice(): string | null {
  const n = sessionStorage.getItem(NOTICE);
  sessionStorage.removeItem(NOTICE);
  return n;
}

/** The regions of the catalog, each with the dashboard URL of its site (the identity endpoint's origin). */
export function regions(catalog: CatalogEntry[]): Array<{ region: string; dashboard: string }> {
  const identity = catalog.find((e) => e.type === 'identity');
  const out = new Map<string, string>();
  for (const e of identity?.endpoints ?? []) {
    if (e.interface !== 'public') continue;
    try {
      out.set(e.region_id ?? e.region, `${new URL(e.url).origin}/dashboard/`);
    } catch {
      // An endpoint URL the browser cannot parse: no dashboard for it.
    }
  }
  return [...out.entries()]
    .map(([region, dashboard]) => ({ region, dashboard }))
    .sort((a, b) => a.region.localeCompare(b.region));
}

/** The region whose identity endpoint is this page's origin. */
export function currentRegion(catalog: CatalogEntry[], origin: string): string | undefined {
  return regions(catalog).find((r) => r.dashboard.startsWith(`${origin}/`))?.region;
}

/** Keystone's token document, as far as the dashboard reads it. */
export interface TokenBody {
  token: {
    expires_at: string;
    user: { id: string; name: string; domain?: { id: string; name: string } };
    project?: { id: string; name: string };
    roles?: Array<{ name: string }>;
    catalog?: CatalogEntry[];
  };
}

/** The session a token document describes. */
export function toSession(token: string, body: TokenBody): Session {
  const t = body.token;
  return {
    token,
    expiresAt: t.expires_at,
    user: { id: t.user.id, name: t.user.name },
    project: { id: t.project?.id ?? '', name: t.project?.name ?? '' },
    roles: (t.roles ?? []).map((r) => r.name),
    catalog: t.catalog ?? [],
  };
}

/** A validated hand-over waiting for the user's consent (never stored before "Continue"). */
export interface Handover {
  session: Session;
  domain: string;
  page: string;
}

/** The question the hand-over confirmation asks: a crafted link must not sign anyone in silently. */
export function handoverQuestion(h: Handover, origin: string): string {
  const region = currentRegion(h.session.catalog, origin) ?? new URL(origin).host;
  const project = h.session.project.name || h.session.project.id;
  return `Continue as ${h.session.user.name} (${h.domain}) in project ${project} on ${region}?`;
}

/** The region-switch hand-over fragment `#handoff=<token>&project=<id>[&page=<page>]`, or null. */
export function parseHandoff(hash: string): { token: string; project: string; page: string } | null {
  const m = /^#handoff=([^&]+)&project=([0-9a-zA-Z-]+)(?:&page=([\w-]+))?$/.exec(hash);
  if (!m?.[1] || !m[2]) return null;
  try {
    return { token: decodeURIComponent(m[1]), project: m[2], page: m[3] ?? 'overview' };
  } catch {
    return null;
  }
}

/** The fragment that hands `token` over to another site's dashboard (see `parseHandoff`). */
export function handoffFragment(token: string, project: string, page: string): string {
  return `#handoff=${encodeURIComponent(token)}&project=${project}&page=${page}`;
}
