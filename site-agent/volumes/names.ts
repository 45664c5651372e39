/** Names of volume files on an agent host: `volume-<id>` and `snapshot-<id>` (never a path from the wire). */
import { BrumeError } from '../../shared/errors.ts';

const NAME = /^(volume|snapshot)-[A-Za-z0-9_-]{1,64}$/;

/** Throws `agent.invalid_volume_name` (bad_request) unless `name` is a volume or snapshot name. */
export function checkVolumeName(name: string): string {
  if (!NAME.test(name)) throw new BrumeError('bad_request', 'agent.invalid_volume_name', `invalid volume name ${name}`);
  return name;
}

/** A host name as a TLS-PSK identity and export-name part. */
export function checkClient(client: string): string {
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(client)) {
    throw new BrumeError('bad_request', 'agent.invalid_client', `invalid client host ${client}`);
  }
  return client;
}

/** `volume_*` failures on the host, in one code the site shows as the volume's error reason. */
export function storageFailure(op: string, err: unknown): BrumeError {
  if (err instanceof BrumeError && err.kind !== 'internal') return err;
  const message = err instanceof Error ? err.message : String(err);
  return new BrumeError('internal', 'agent.volume_failed', `volume ${op} failed: ${message}`, { cause: err });
}

/** The volume missing on this host. */
export function volumeMissing(name: string): BrumeError {
  return new BrumeError('not_found', 'agent.volume_not_found', `${name} is not on this host`);
}
