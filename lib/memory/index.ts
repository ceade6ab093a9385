export type { ConversationStore, SessionRef, StoreLimits } from './store';
export { sessionPath } from './session-path';
export { DEFAULT_STORE_LIMITS } from './store';
export { InMemoryConversationStore } from './in-memory-store';
export { RedisConversationStore } from './redis-store';
export { SessionQueue } from './session-queue';
