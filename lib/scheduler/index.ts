// Waiting: the gateway stage that holds calls until the router (lib/balancer) has a slot.
export { createSchedulerStage, type SchedulerOptions, type SchedulerStage, type SchedulerStats, type MultiBinOptions } from './scheduler';
export { QueueFullError, QueuedCallCancelledError, QueueTimeoutError } from './errors';
