/** limit/marker paging as Nova does it. */
import { badRequest } from '../../../shared/errors.ts';

/** A page of `items` after `marker`, at most `limit` long; `next` is the marker of the following page. */
export function paginate<T>(
  items: readonly T[],
  limitRaw: string | undefined,
  marker: string | undefined,
  idOf: (t: T) => string,
): { items: T[]; next: string | undefined } {
  let start = 0;
  if (marker !== undefined) {
    const i = items.findIndex((t) => idOf(t) === marker);
    if (i < 0) throw badRequest('compute.marker_not_found', `marker [${marker}] not found`);
    start = i + 1;
  }
  let limit: number | undefined;
  if (limitRaw !== undefined) {
    if (!/^\d+$/.test(limitRaw))
      throw badRequest('compute.invalid_limit', `Invalid input for query parameters limit. Value: ${limitRaw}.`);
    limit = Number(limitRaw);
  }
  const page = items.slice(start, limit === undefined ? undefined : start + limit);
  const last = page[page.length - 1];
  const next = limit !== undefined && page.length === limit && last !== undefined ? idOf(last) : undefined;
  return { items: page, next };
}
