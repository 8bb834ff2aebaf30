import { scalar } from './families.js';
import type { HostSubCollector } from './source.js';

/** node_exporter's `time` collector (node_time_seconds only): the collection time in seconds. */
export const timeCollector: HostSubCollector = {
  name: 'time',
  collect(source) {
    return Promise.resolve([
      scalar('node_time_seconds', 'gauge', 'System time in seconds since epoch (1970).', source.nowMs / 1000),
    ]);
  },
};
