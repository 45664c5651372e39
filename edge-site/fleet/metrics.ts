import type { Counter, Metrics } from '../ops/metrics.ts';

/** The fleet's and scheduler's Prometheus counters (the agents-alive gauge lives in ops/routes.ts). */
export interface FleetMetrics {
  commandsSent: Counter;
  commandsFailed: Counter;
  commandsTimedOut: Counter;
  schedulerDecisions: Counter;
  schedulerFailures: Counter;
}

/** Registers (or reuses) the fleet's counters. */
export function fleetMetrics(m: Metrics): FleetMetrics {
  return {
    commandsSent: m.counter('brume_agent_commands_total', 'Commands sent to agents, by op.'),
    commandsFailed: m.counter(
      'brume_agent_command_failures_total',
      'Commands an agent answered with an error, by op and code.',
    ),
    commandsTimedOut: m.counter('brume_agent_command_timeouts_total', 'Commands with no reply in time, by op.'),
    schedulerDecisions: m.counter(
      'brume_scheduler_decisions_total',
      'Scheduling decisions, by result (placed, no_valid_host).',
    ),
    schedulerFailures: m.counter('brume_scheduler_failures_total', 'Requests for which no valid host was found.'),
  };
}
