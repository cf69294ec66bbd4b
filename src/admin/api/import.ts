import type { ConfigService } from '../config-service.ts';
import type { Operation } from './types.ts';
export function importOperations(_service: ConfigService): Operation[] { return []; }
