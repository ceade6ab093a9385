// Where each call goes: lib/balancer's public interface. The scheduler (lib/scheduler) waits;
// the router made here decides which backend, owns capacity, health and failover.
export { createRouter, type BalancerRouter } from './router';
export { STRATEGIES, resolveOptions, type BalancerSettings, type RouterOptions, type Strategy } from './options';
export type { BackendHealth } from './health';
export { BackendRequestError, type HttpReply } from './backend-http';
export { sendApiRequest, publicBaseUrl, type ApiRequest, type ApiReply } from './send-request';
