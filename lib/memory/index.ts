export type { ConversationStore, StoreLimits } from './store';
export { DEFAULT_STORE_LIMITS } from './store';
export { InMemoryConversationStore } from './in-memory-store';
export { RedisConversationStore } from './redis-store';
export { SessionQueue } from './session-queue';
