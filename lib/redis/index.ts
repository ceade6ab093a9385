export { closeRedisClient, createRedisClient, pingRedis, redisConfigFromCredential, type RedisConfig } from './client';
export { getSharedRedis, closeSharedRedis } from './shared-client';
export { queueModeRedis, queueModeRedisConfig, QUEUE_REDIS_SWITCH } from './queue-mode';
export { reserveSlots, RESERVE_SLOTS_LUA, type ReserveReply, type ReserveRequest } from './slot-leases';
