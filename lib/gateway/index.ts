export { Gateway, type GatewayCallOptions, type GatewayChatResult, type GatewayEmbedResult } from './gateway';
export type { ClusterConfig } from './config';
export type { Stage, Call, CallTrace, Handler } from '../pipeline';
export { clusterConfigFromCredential, ClusterConfigError } from './cluster-config';
export { credentialFieldDefault, credentialGroupValues, LOAD_BALANCING_FIELDS, TIMEOUT_FIELDS } from './credential-fields';
