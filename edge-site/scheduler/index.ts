/** The pure scheduler: filters and weighers over a snapshot of hosts. No clock, randomness or I/O in this folder. */
export { DEFAULT_FILTERS, type HostFilter } from './filters.ts';
export { schedule } from './schedule.ts';
export * from './types.ts';
export { weigh } from './weighers.ts';
