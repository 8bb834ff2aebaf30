import { scalar } from './families.js';
import type { HostSubCollector } from './source.js';
import { matchesCached, parseNumber, splitLines } from './text.js';
import type { MetricFamily } from '../../model/metric.js';

/** /proc/vmstat, filtered as node_exporter's `vmstat` collector filters it by default. */

/** node_exporter's default `--collector.vmstat.fields`: paging, swapping, faults, OOM kills. */
export const DEFAULT_VMSTAT_FIELDS = /^(oom_kill|pgpg|pswp|pg.*fault).*/;

/** One /proc/vmstat counter. */
export interface VmstatField {
  readonly name: string;
  readonly value: number;
}

/** Parses /proc/vmstat (`name value` lines), keeping the fields `include` matches. */
export function parseVmstat(text: string, include: RegExp = DEFAULT_VMSTAT_FIELDS): VmstatField[] {
  const out: VmstatField[] = [];
  for (const line of splitLines(text)) {
    const sp = line.indexOf(' ');
    if (sp <= 0) continue;
    const name = line.slice(0, sp);
    if (!matchesCached(include, name)) continue;
    out.push({ name, value: parseNumber(line.slice(sp + 1).trim(), `proc vmstat ${name}`) });
  }
  return out;
}

/** The `vmstat` families; untyped, as node_exporter exports them. */
export function vmstatFamilies(fields: readonly VmstatField[]): MetricFamily[] {
  return fields.map((f) =>
    scalar(`node_vmstat_${f.name}`, 'unknown', `/proc/vmstat information field ${f.name}.`, f.value),
  );
}

/** node_exporter's `vmstat` collector, with the field filter `include`. */
export function vmstatCollector(include: RegExp = DEFAULT_VMSTAT_FIELDS): HostSubCollector {
  return {
    name: 'vmstat',
    async collect(source) {
      return vmstatFamilies(parseVmstat(await source.readProc('vmstat'), include));
    },
  };
}
