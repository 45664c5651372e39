/**
 * The message of an OpenStack error response, whatever the service's error shape: Keystone `{error: {message}}`,
 * Nova/Cinder `{itemNotFound: {message}}` (one fault key), Neutron `{NeutronError: {message}}`, Glance (webob)
 * `{message, explanation}` or an HTML page. Never a stack trace: long bodies are cut, tags are stripped.
 */
export function errorMessage(status: number, body: string): string {
  const fallback = `The request failed (HTTP ${status}).`;
  const text = body.trim();
  if (text === '') return fallback;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return clip(stripHtml(text)) || fallback;
  }
  return clip(messageOf(parsed) ?? '') || fallback;
}

function messageOf(v: unknown): string | undefined {
  if (!isRecord(v)) return typeof v === 'string' ? v : undefined;
  const direct = pick(v);
  if (direct) return direct;
  for (const key of ['error', 'NeutronError', ...Object.keys(v)]) {
    const inner = v[key];
    if (isRecord(inner)) {
      const m = pick(inner);
      if (m) return m;
    }
  }
  return undefined;
}

function pick(o: Record<string, unknown>): string | undefined {
  for (const key of ['message', 'explanation', 'detail', 'title']) {
    const m = o[key];
    if (typeof m === 'string' && m.trim() !== '') return m.trim();
  }
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stripHtml(s: string): string {
  return s
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Keeps the first line-ish part of a message: traces and dumps are not for the user. */
function clip(s: string): string {
  const firstTrace = s.search(/\n\s+at |Traceback \(most recent call last\)/);
  const cut = firstTrace >= 0 ? s.slice(0, firstTrace) : s;
  return cut.length > 400 ? `${cut.slice(0, 400)}…` : cut.trim();
}
