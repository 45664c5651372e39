/**
 * The dashboard's only way to the cloud: the site's public OpenStack REST APIs on this origin, with the user's
 * token in X-Auth-Token. A 401 signs the user out (back to the login page, saying why).
 */
import { errorMessage } from './errors.ts';
import {
  clearSession,
  type Handover,
  loadSession,
  type Session,
  saveSession,
  type TokenBody,
  toSession,
} from './session.ts';

/** An API error carrying the service's own message. */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** Service -> path prefix on this origin. */
export function base(service: 'identity' | 'compute' | 'image' | 'network' | 'volume' | 'federation'): string {
  switch (service) {
    case 'identity':
      return '/v3';
    case 'compute':
      return '/compute/v2.1';
    case 'image':
      return '/image/v2';
    case 'network':
      return '/network/v2.0';
    case 'volume':
      return `/volume/v3/${loadSession()?.project.id ?? ''}`;
    case 'federation':
      return '/federation/v1';
  }
}

let onSignedOut: () => void = () => {};

/** Called when a 401 ends the session (the app re-renders the login page). */
export function setSignedOutHandler(f: () => void): void {
  onSignedOut = f;
}

/** Ends the session because the token was refused. */
export function expire(): void {
  clearSession('Your session has expired or was revoked. Please sign in again.');
  onSignedOut();
}

/** A JSON request; resolves with the parsed body (undefined for empty bodies), rejects with ApiError. */
export async function api<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const token = loadSession()?.token;
  const res = await fetch(path, {
    method,
    headers: {
      Accept: 'application/json',
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...(token ? { 'X-Auth-Token': token } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) {
    if (res.status === 401 && token && !path.endsWith('/auth/tokens')) expire();
    throw new ApiError(res.status, errorMessage(res.status, text));
  }
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

async function issue(auth: unknown): Promise<{ token: string; body: TokenBody }> {
  const res = await fetch('/v3/auth/tokens', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ auth }),
  });
  const text = await res.text();
  if (!res.ok) throw new ApiError(res.status, errorMessage(res.status, text));
  return { token: res.headers.get('X-Subject-Token') ?? '', body: JSON.parse(text) as TokenBody };
}

function store(token: string, body: TokenBody): Session {
  const s = toSession(token, body);
  saveSession(s);
  return s;
}

/** Projects the token's user has a role on. */
export async function myProjects(token: string): Promise<Array<{ id: string; name: string }>> {
  const res = await fetch('/v3/auth/projects', { headers: { 'X-Auth-Token': token, Accept: 'application/json' } });
  const text = await res.text();
  if (!res.ok) throw new ApiError(res.status, errorMessage(res.status, text));
  return (JSON.parse(text) as { projects: Array<{ id: string; name: string }> }).projects;
}

/** Trades a token for one scoped to `projectId` (Keystone's token method). */
export async function rescope(token: string, projectId: string): Promise<Session> {
  const r = await issue({
    identity: { methods: ['token'], token: { id: token } },
    scope: { project: { id: projectId } },
  });
  return store(r.token, r.body);
}

/** Password sign-in: an unscoped token, then a token scoped to the first project the user has a role on. */
export async function login(username: string, password: string, domain: string): Promise<Session> {
  const r = await issue({
    identity: { methods: ['password'], password: { user: { name: username, domain: { name: domain }, password } } },
  });
  const projects = await myProjects(r.token);
  const first = projects.find((p) => p.name === 'admin') ?? projects[0];
  if (!first) throw new ApiError(403, 'You have no role on any project: ask an administrator for one.');
  return rescope(r.token, first.id);
}

/**
 * Validates a token handed over by another site's dashboard (region switch) by rescoping it here; the result is NOT
 * stored: the user confirms it first (`saveSession` on "Continue", `revoke` on "Sign in as someone else").
 */
export async function adopt(token: string, projectId: string, page: string): Promise<Handover> {
  const r = await issue({
    identity: { methods: ['token'], token: { id: token } },
    scope: { project: { id: projectId } },
  });
  return { session: toSession(r.token, r.body), domain: r.body.token.user.domain?.name ?? '', page };
}

/** Revokes a token (best effort). */
export async function revoke(token: string): Promise<void> {
  await fetch('/v3/auth/tokens', {
    method: 'DELETE',
    headers: { 'X-Auth-Token': token, 'X-Subject-Token': token },
  }).catch(() => undefined);
}

/** Revokes the token (best effort) and forgets it. */
export async function logout(): Promise<void> {
  const token = loadSession()?.token;
  clearSession();
  if (token) await revoke(token);
}

/** Uploads `file` as the bytes of image `id` (Glance PUT /file), reporting progress in [0, 1]. */
export function uploadImageFile(id: string, file: Blob, onProgress: (fraction: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', `${base('image')}/images/${id}/file`);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.setRequestHeader('X-Auth-Token', loadSession()?.token ?? '');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve();
      } else {
        if (xhr.status === 401) expire();
        reject(new ApiError(xhr.status, errorMessage(xhr.status, xhr.responseText)));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'The upload was cut off (network error).'));
    xhr.send(file);
  });
}
