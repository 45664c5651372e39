/**
 * The agent's metadata relay (neutron-metadata-agent's part): an HTTP server on a unix socket in the agent's folder,
 * which the in-namespace proxy forwards guests' requests to. It names the instance from (network, source address)
 * — the network from the address the request arrived at — and asks the site's `/metadata` API with the instance id
 * signed by the shared secret (`X-Instance-ID` + `X-Instance-ID-Signature`), passing the answer back. Unknown
 * sources get a 404, a relay without a site endpoint yet a 503. Never holds the agent process open.
 */
import { rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  INSTANCE_ID_HEADER,
  INSTANCE_SIGNATURE_HEADER,
  type MetadataEndpoint,
  signInstanceId,
} from '../../shared/metadata-signature.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import { FORWARDED_FOR_HEADER, indexOfAddress, LOCAL_ADDRESS_HEADER } from './metadata.ts';

/** Who a request comes from, as the relay resolves it. */
export interface RelayLookup {
  /** The network whose metadata address has this index (undefined: not one of ours). */
  networkOfIndex(index: number): string | undefined;
  /** The instance holding `ip` on `networkId`. */
  instanceFor(networkId: string, ip: string): string | null;
  /** Where to ask; undefined until the site sent it. */
  endpoint(): MetadataEndpoint | undefined;
}

/** The relay's handle. */
export interface MetadataRelay {
  /** Listens (replacing a socket file an earlier agent left). Idempotent. */
  listen(): Promise<void>;
  close(): Promise<void>;
}

/** How long the site may take to answer. */
const SITE_TIMEOUT_MS = 15_000;

/** Resolves one proxied request: the instance id, or the status to answer with. */
export function resolveInstance(
  lookup: Pick<RelayLookup, 'networkOfIndex' | 'instanceFor'>,
  localAddress: string,
  sourceIp: string,
): { instanceId: string; networkId: string } | null {
  const index = indexOfAddress(localAddress);
  const networkId = index === null ? undefined : lookup.networkOfIndex(index);
  if (!networkId) return null;
  const instanceId = lookup.instanceFor(networkId, sourceIp);
  return instanceId ? { instanceId, networkId } : null;
}

/** Builds the relay on `socketPath`. `fetchImpl` is the site client (tests pass their own). */
export function createMetadataRelay(options: {
  socketPath: string;
  lookup: RelayLookup;
  log: Logger;
  fetchImpl?: typeof fetch;
}): MetadataRelay {
  const { socketPath, lookup, log } = options;
  const fetchImpl = options.fetchImpl ?? fetch;
  let server: Server | undefined;

  const answer = (res: ServerResponse, status: number, text: string) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const local = String(req.headers[LOCAL_ADDRESS_HEADER] ?? '');
    const source = String(req.headers[FORWARDED_FOR_HEADER] ?? '');
    const who = resolveInstance(lookup, local, source);
    if (!who) {
      log.debug({ local, source, path: req.url }, 'metadata request from an unknown source');
      return answer(res, 404, 'Not Found');
    }
    const endpoint = lookup.endpoint();
    if (!endpoint) return answer(res, 503, 'Metadata service not configured yet');
    // Resolved here (dot segments, encoded or not, removed) so a guest's `/../` never leaves `/metadata` on the site.
    const path = new URL((req.url ?? '/').startsWith('/') ? (req.url ?? '/') : '/', 'http://guest').pathname;
    try {
      const upstream = await fetchImpl(`${endpoint.url}/metadata${path}`, {
        method: req.method === 'HEAD' ? 'HEAD' : 'GET',
        headers: {
          [INSTANCE_ID_HEADER]: who.instanceId,
          [INSTANCE_SIGNATURE_HEADER]: signInstanceId(endpoint.secret, who.instanceId),
          'X-Forwarded-For': source,
          Accept: String(req.headers.accept ?? '*/*'),
        },
        signal: AbortSignal.timeout(SITE_TIMEOUT_MS),
      });
      const body = Buffer.from(await upstream.arrayBuffer());
      if (upstream.status >= 500 || upstream.status === 403) {
        log.warn({ instance: who.instanceId, status: upstream.status, path }, 'metadata request refused by the site');
      }
      res.writeHead(upstream.status, {
        'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream',
        'content-length': String(body.length),
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      log.warn({ instance: who.instanceId, err: (err as Error).message }, 'metadata: the site is unreachable');
      answer(res, 503, 'Metadata service unavailable');
    }
  }

  return {
    async listen() {
      if (server) return;
      await rm(socketPath, { force: true });
      const s = createServer((req, res) => {
        handle(req, res).catch((err: unknown) => {
          log.error({ err }, 'metadata relay failed');
          if (!res.headersSent) answer(res, 500, 'Internal error');
          else res.destroy();
        });
      });
      server = s;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(socketPath, () => resolve());
      });
      s.unref();
    },
    async close() {
      const s = server;
      server = undefined;
      if (s) {
        await new Promise<void>((resolve) => s.close(() => resolve()));
        s.closeAllConnections();
      }
      await rm(socketPath, { force: true });
    },
  };
}
