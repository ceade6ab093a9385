export { closeRedisClient, createRedisClient, pingRedis, redisConfigFromCredential, type RedisConfig } from './client';
export { getSharedRedis, closeSharedRedis } from './shared-client';
