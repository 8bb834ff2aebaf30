import { scalar } from './families.js';
import type { HostSubCollector } from './source.js';
import { parseNumber } from './text.js';

/**
 * node_exporter's `entropy` collector: /proc/sys/kernel/random/{entropy_avail,poolsize}, in
 * bits. Since Linux 5.18 both read 256; kept because dashboards still chart them.
 */
export const entropyCollector: HostSubCollector = {
  name: 'entropy',
  async collect(source) {
    const [avail, pool] = await Promise.all([
      source.readProc('sys/kernel/random/entropy_avail'),
      source.readProc('sys/kernel/random/poolsize'),
    ]);
    return [
      scalar(
        'node_entropy_available_bits',
        'gauge',
        'Bits of available entropy.',
        parseNumber(avail.trim(), 'proc entropy_avail'),
      ),
      scalar(
        'node_entropy_pool_size_bits',
        'gauge',
        'Bits of entropy pool.',
        parseNumber(pool.trim(), 'proc poolsize'),
      ),
    ];
  },
};
