import { SingleFlightStage, type SingleFlightOptions } from './single-flight-stage';

export { SingleFlightStage, type SingleFlightOptions, type SingleFlightStats } from './single-flight-stage';
export type { RedisFlightOptions } from './redis-lock';

/** Collapses identical concurrent calls into one backend request (in this process, and across processes through Redis). */
export function createSingleFlightStage(options: SingleFlightOptions = {}): SingleFlightStage {
	return new SingleFlightStage(options);
}
