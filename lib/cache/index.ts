import { passThrough, type Stage } from '../pipeline';

/** Response cache stage (exact + semantic, L1 memory / L2 Redis). Pass-through for now. */
export function createCacheStage(): Stage {
	return passThrough('cache');
}
