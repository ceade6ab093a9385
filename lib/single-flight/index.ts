import { passThrough, type Stage } from '../pipeline';

/** Collapses identical concurrent calls into one backend request. Pass-through for now. */
export function createSingleFlightStage(): Stage {
	return passThrough('single-flight');
}
