// Column names shared by the usage tables, their migration and their queries.
import { LATENCY_BUCKETS } from './types.ts';

export const USAGE_TABLES = ['usage_minute', 'usage_hour', 'usage_day'] as const;
export type UsageTable = (typeof USAGE_TABLES)[number];

/** l0 … l15: calls per latency bucket. */
export const LATENCY_COLUMNS: readonly string[] = Array.from({ length: LATENCY_BUCKETS }, (_, i) => `l${i}`);
export const DIMENSION_COLUMNS = ['consumer', 'credential', 'product', 'plan', 'service', 'route', 'status'] as const;
export const COUNTER_COLUMNS = ['calls', 'errors_4xx', 'errors_5xx', 'bytes_in', 'bytes_out', 'latency_ms_sum', ...LATENCY_COLUMNS] as const;
