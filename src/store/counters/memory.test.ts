import { defineRateCounterConformance } from './conformance.ts';
import { MemoryRateCounter } from './memory.ts';

defineRateCounterConformance('memory', () => ({ counter: new MemoryRateCounter(), cleanup: async () => undefined }));
