/**
 * What a fidelity level provides to the runner: sites reachable through their public REST API, a clock that runs
 * the timeline, and fault injection. `sim` implements it in one process on a virtual clock, `proc` with real site
 * processes behind a fault-injecting proxy, `netns` with namespaces, netem and nftables.
 */
import type { LinkSpec, Scenario } from './schema.ts';

/** An HTTP request to one site's API. */
export interface SiteRequest {
  method?: string;
  path: string;
  body?: unknown;
  /** Raw bytes sent as `application/octet-stream` instead of a JSON body (image uploads). */
  raw?: Uint8Array;
  token?: string;
  headers?: Record<string, string>;
}

/** Its answer; `status` 0 means the site could not be reached at all. */
export interface SiteResponse {
  status: number;
  body: unknown;
  headers: Headers;
}

/** Counters of site-to-site traffic (deterministic in sim). */
export interface TrafficStats {
  messages: number;
  bytes: number;
  dropped: number;
}

/** One fidelity level's running federation. */
export interface World {
  readonly mode: 'sim' | 'proc' | 'netns';
  /** True when every figure in the report is reproducible from the seed (sim without wall-clock-driven parts). */
  readonly deterministic: boolean;
  /** What is real and what is reduced at this mode and scale (goes into the report). */
  readonly fidelity: string[];
  /** Time of the timeline, in ms (virtual in sim). */
  now(): number;
  /** Schedules `fn` at timeline time `t` (ms since the world's start). */
  at(t: number, fn: () => void): void;
  /** Runs the timeline until `t`, then returns with every operation started before `t` settled or in flight. */
  runUntil(t: number): Promise<void>;
  /** Waits for `ms` of the world's time (used by retry loops of operations). */
  sleep(ms: number): Promise<void>;
  /** Sends a request to `site`. Never throws: an unreachable site answers status 0. */
  request(site: string, req: SiteRequest): Promise<SiteResponse>;
  /** The latency a client near `site` adds to every request (modelled in sim; 0 elsewhere: it is measured). */
  clientLatency(site: string): number;
  partition(groups: string[][]): Promise<void>;
  heal(): Promise<void>;
  setLink(a: string[], b: string[], link: LinkSpec): Promise<void>;
  killSite(site: string): Promise<void>;
  restartSite(site: string): Promise<void>;
  killAgent(site: string, host: number): Promise<void>;
  restartAgent(site: string, host: number): Promise<void>;
  skewClock(site: string, ms: number): Promise<void>;
  isUp(site: string): boolean;
  /** The admin password every site was bootstrapped with. */
  readonly adminPassword: string;
  traffic(): TrafficStats;
  close(): Promise<void>;
}

/** Builds a world for a scenario. */
export type WorldFactory = (scenario: Scenario, seed: number, progress: (line: string) => void) => Promise<World>;
