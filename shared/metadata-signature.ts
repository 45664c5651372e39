/**
 * Signed instance ids of the metadata service (Nova's `X-Instance-ID` / `X-Instance-ID-Signature`): an agent's
 * metadata relay names the instance a guest request came from and proves it holds the site's shared secret with an
 * HMAC-SHA256 of the id (hex). The site serves metadata only for a valid signature.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The request header naming the instance (its uuid). */
export const INSTANCE_ID_HEADER = 'X-Instance-ID';
/** The request header with the hex HMAC-SHA256 of the instance id under the shared secret. */
export const INSTANCE_SIGNATURE_HEADER = 'X-Instance-ID-Signature';

/** Where an agent asks for metadata and the secret it signs with (sent to agents with their network policy). */
export interface MetadataEndpoint {
  /** The site's API base URL; the service is under `<url>/metadata/`. */
  url: string;
  secret: string;
}

/** The signature of `instanceId` under `secret`. */
export function signInstanceId(secret: string, instanceId: string): string {
  return createHmac('sha256', secret).update(instanceId).digest('hex');
}

/** True when `signature` is the signature of `instanceId` (constant time). */
export function instanceSignatureValid(secret: string, instanceId: string, signature: string): boolean {
  const want = Buffer.from(signInstanceId(secret, instanceId), 'hex');
  const got = /^[0-9a-f]{64}$/i.test(signature) ? Buffer.from(signature, 'hex') : Buffer.alloc(0);
  return got.length === want.length && timingSafeEqual(got, want);
}
