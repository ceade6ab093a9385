export { OllamaTransport, type TransportOptions } from './transport';
export { DEFAULT_TIMEOUTS, resolveTimeouts, type Timeouts } from './timeouts';
export * from './errors';
export type * from './types';
export { onAbort } from './abort';
export { normalizeModel } from './model-tag';
export { parseKeepAlive } from './keep-alive';
