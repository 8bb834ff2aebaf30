import type { MetricFamily } from '../model/metric.js';

/**
 * The standard process metrics every Prometheus client library exports (`process_*`) plus Node's
 * heap, so dashboards for exporters show Kanshi's own cost. Read at collection time.
 */
export function processFamilies(startTimeSeconds: number): MetricFamily[] {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  const gauge = (
    name: string,
    help: string,
    value: number,
    type: 'gauge' | 'counter' = 'gauge',
  ): MetricFamily => ({
    name,
    type,
    help,
    samples: [{ name, labels: [], value }],
  });
  return [
    gauge(
      'process_cpu_seconds_total',
      'Total user and system CPU time spent in seconds.',
      (cpu.user + cpu.system) / 1e6,
      'counter',
    ),
    gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', mem.rss),
    gauge(
      'process_start_time_seconds',
      'Start time of the process since unix epoch in seconds.',
      startTimeSeconds,
    ),
    gauge('nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.', mem.heapUsed),
    gauge('nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.', mem.heapTotal),
    gauge('nodejs_external_memory_bytes', 'Node.js external memory size in bytes.', mem.external),
  ];
}
