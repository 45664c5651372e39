import type { Context } from 'hono';
import type { z } from 'zod';
import { badRequest } from '../../shared/errors.ts';

/**
 * Parses the JSON body: a malformed body is a 400 saying so, never a 500. With a schema, the first invalid field is
 * named in the message (e.g. `Invalid input for field/attribute server.flavorRef: …`).
 */
export async function jsonBody<T = unknown>(c: Context, schema?: z.ZodType<T>): Promise<T> {
  let raw: unknown;
  const text = await c.req.text();
  if (text.trim() === '') {
    raw = undefined;
  } else {
    try {
      raw = JSON.parse(text);
    } catch {
      throw badRequest('api.malformed_json', 'Malformed request body: the body is not valid JSON.');
    }
  }
  if (!schema) return raw as T;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw badRequest('api.invalid_body', describeZodError(parsed.error));
  return parsed.data;
}

/** A one-line, field-naming description of a validation failure. */
export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'Invalid request body.';
  const path = issue.path.map(String).join('.');
  if (path === '') return `Invalid request body: ${issue.message}.`;
  return `Invalid input for field/attribute ${path}. ${issue.message}.`;
}
