// The contract every gateway stage shares. It sits below the stages and the gateway that
// composes them, so a call can be followed downward: gateway → stages → transport.
export type { Backend } from './backend';
export { isDeterministic, type CachePolicy } from './cache-policy';
export { compose, type Call, type Handler, type Stage } from './stage';
export type { AttemptOutcome, Lease, Router } from './router';
export { newTrace, type CallTrace, type TracedChatResult, type TracedEmbedResult } from './trace';
