import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isBrumeError } from '../../shared/errors.ts';
import { type ImageHarness, imageHarness, T } from '../api/image/testing.ts';
import { authFor } from '../testing/deps.ts';

describe('ImageService (for compute)', () => {
  let h: ImageHarness;
  beforeEach(async () => {
    h = await imageHarness();
  });
  afterEach(() => h.cleanup());

  const failure = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      if (isBrumeError(err)) return { kind: err.kind, code: err.code, message: err.message };
      throw err;
    }
    throw new Error('expected a BrumeError');
  };

  it('returns active images the caller can see', async () => {
    const img = await h.create({ visibility: 'private' });
    await h.upload(img.id, new Uint8Array([1, 2, 3]));
    expect(h.image.getForBoot(authFor({ projectId: 'p1' }), img.id)).toMatchObject({ id: img.id, status: 'active' });
    expect(h.image.getForBoot(authFor({ projectId: 'admin', roles: ['admin'] }), img.id).id).toBe(img.id);
  });

  it('refuses unknown, invisible and inactive images with 400-class errors', async () => {
    const img = await h.create({ visibility: 'private' });
    expect(failure(() => h.image.getForBoot(authFor({ projectId: 'p1' }), img.id))).toEqual({
      kind: 'bad_request',
      code: 'image.not_bootable',
      message: `Image ${img.id} is not active.`,
    });
    await h.upload(img.id, new Uint8Array([1]));
    expect(failure(() => h.image.getForBoot(authFor({ projectId: 'p2' }), img.id))).toMatchObject({
      code: 'image.not_found',
      message: `Image ${img.id} could not be found.`,
    });
    expect(failure(() => h.image.getForBoot(authFor(), 'nope'))).toMatchObject({ code: 'image.not_found' });
    await h.req('POST', `/v2/images/${img.id}/actions/deactivate`, { token: T.alice });
    expect(failure(() => h.image.getForBoot(authFor({ projectId: 'p1' }), img.id))).toMatchObject({
      code: 'image.not_bootable',
    });
  });

  it('gives agents the public file URL', () => {
    expect(h.image.fileUrl('abc')).toBe('http://127.0.0.1:5000/image/v2/images/abc/file');
  });
});
