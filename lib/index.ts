/** The public API of the gateway, usable outside n8n too (see index.js at the package root). */
export { Gateway, type ClusterConfig, type GatewayChatResult, type GatewayEmbedResult } from './gateway';
export { getGateway, closeAllGateways, clusterKey } from './registry';
export * from './ollama';
