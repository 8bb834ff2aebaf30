import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { conntrackFamilies, parseConntrackStat } from './conntrack.js';
import { parseFileNr } from './filefd.js';
import { parseMounts } from './filesystem.js';
import { parseLoadavg } from './loadavg.js';
import { netstatFamilies, parseNetstat, parseSnmp6 } from './netstat.js';
import { parsePressure, pressureFamilies } from './pressure.js';
import { parseSockstat, sockstatFamilies } from './sockstat.js';
import { parseVmstat } from './vmstat.js';

/** Table-driven tests for the small /proc parsers; the large ones have their own files. */

const proc = join(dirname(fileURLToPath(import.meta.url)), 'testdata', 'proc');

describe('parseLoadavg', () => {
  it.each([
    ['1.02 0.79 0.36 4/125 11387\n', { load1: 1.02, load5: 0.79, load15: 0.36 }],
    ['0.00 0.00 0.00 1/1 1', { load1: 0, load5: 0, load15: 0 }],
  ])('parses %j', (text, want) => {
    expect(parseLoadavg(text)).toEqual(want);
  });
  it.each([[''], ['1.0 2.0'], ['a b c 1/2 3']])('rejects %j', (text) => {
    expect(() => parseLoadavg(text)).toThrow();
  });
});

describe('parseFileNr', () => {
  it.each([
    ['608\t0\t2466160\n', { allocated: 608, maximum: 2466160 }],
    ['1 0 9223372036854775807', { allocated: 1, maximum: 2 ** 63 }],
  ])('parses %j', (text, want) => {
    expect(parseFileNr(text)).toEqual(want);
  });
  it.each([['608 0'], ['608 0 1 2'], ['x 0 1']])('rejects %j', (text) => {
    expect(() => parseFileNr(text)).toThrow();
  });
});

describe('parsePressure', () => {
  it.each([
    [
      'some avg10=7.92 avg60=12.45 avg300=7.89 total=40320702\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n',
      {
        some: { avg10: 7.92, avg60: 12.45, avg300: 7.89, totalUs: 40320702 },
        full: { avg10: 0, avg60: 0, avg300: 0, totalUs: 0 },
      },
    ],
    // Kernels before 5.13 print only a `some` line for cpu.
    [
      'some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n',
      { some: { avg10: 0, avg60: 0, avg300: 0, totalUs: 5 }, full: undefined },
    ],
  ])('parses %j', (text, want) => {
    expect(parsePressure(text)).toEqual(want);
  });
  it.each([['some avg10=0.00'], ['full total=x']])('rejects %j', (text) => {
    expect(() => parsePressure(text)).toThrow();
  });

  it('exports waiting for some, stalled for full, in seconds; cpu has no stalled', () => {
    const line = (us: number) => ({ avg10: 0, avg60: 0, avg300: 0, totalUs: us });
    const fams = pressureFamilies({
      cpu: { some: line(1_000_000), full: line(7) },
      io: { some: line(2_500_000), full: line(500_000) },
      memory: { some: line(0), full: undefined },
    });
    expect(fams.map((f) => [f.name, f.samples[0]?.value])).toEqual([
      ['node_pressure_cpu_waiting_seconds_total', 1],
      ['node_pressure_io_waiting_seconds_total', 2.5],
      ['node_pressure_io_stalled_seconds_total', 0.5],
      ['node_pressure_memory_waiting_seconds_total', 0],
    ]);
  });
});

describe('parseVmstat', () => {
  it('keeps the fields node_exporter exports by default', () => {
    const text =
      'nr_free_pages 1079744\npgpgin 903805\npgpgout 1\npswpin 0\npgfault 4504650\npgmajfault 847\noom_kill 0\nthp_fault_alloc 3\n';
    expect(parseVmstat(text).map((f) => [f.name, f.value])).toEqual([
      ['pgpgin', 903805],
      ['pgpgout', 1],
      ['pswpin', 0],
      ['pgfault', 4504650],
      ['pgmajfault', 847],
      ['oom_kill', 0],
    ]);
  });
  it('applies a custom filter', () => {
    expect(parseVmstat('nr_free_pages 5\npgfault 1\n', /^nr_/).map((f) => f.name)).toEqual(['nr_free_pages']);
  });
  it('rejects a malformed value', () => {
    expect(() => parseVmstat('pgfault many\n')).toThrow(/pgfault/);
  });
});

describe('parseNetstat', () => {
  it('pairs header and value lines', () => {
    const text = 'Tcp: RtoAlgorithm ActiveOpens InErrs\nTcp: 1 47 3\nUdp: InDatagrams\nUdp: 9\n';
    expect(parseNetstat(text)).toEqual([
      { protocol: 'Tcp', name: 'RtoAlgorithm', value: 1 },
      { protocol: 'Tcp', name: 'ActiveOpens', value: 47 },
      { protocol: 'Tcp', name: 'InErrs', value: 3 },
      { protocol: 'Udp', name: 'InDatagrams', value: 9 },
    ]);
  });
  it.each([['Tcp: A B\nTcp: 1\n'], ['Tcp: A\nUdp: 1\n'], ['Tcp: A\nTcp: x\n']])('rejects %j', (text) => {
    expect(() => parseNetstat(text)).toThrow();
  });
  it('splits snmp6 keys at the first 6', () => {
    expect(parseSnmp6('Ip6InOctets  \t128\nUdpLite6InErrors 2\nIcmp6OutMsgs 9\n')).toEqual([
      { protocol: 'Ip6', name: 'InOctets', value: 128 },
      { protocol: 'UdpLite6', name: 'InErrors', value: 2 },
      { protocol: 'Icmp6', name: 'OutMsgs', value: 9 },
    ]);
  });
  it('exports the default field set of the snapshot', async () => {
    const fields = [
      ...parseNetstat(await readFile(join(proc, 'net/netstat'), 'utf8')),
      ...parseNetstat(await readFile(join(proc, 'net/snmp'), 'utf8')),
      ...parseSnmp6(await readFile(join(proc, 'net/snmp6'), 'utf8')),
    ];
    const names = netstatFamilies(fields).map((f) => f.name);
    expect(names).toContain('node_netstat_Tcp_RetransSegs');
    expect(names).toContain('node_netstat_TcpExt_ListenOverflows');
    expect(names).toContain('node_netstat_Udp6_RcvbufErrors');
    expect(names).not.toContain('node_netstat_Tcp_RtoAlgorithm');
  });
});

describe('parseSockstat', () => {
  it('reads known fields and adds mem_bytes from the page size', () => {
    const fields = parseSockstat(
      'sockets: used 20\nTCP: inuse 5 orphan 0 tw 13 alloc 5 mem 192\nFRAG: inuse 0 memory 0\nXYZ: weird 1\n',
    );
    expect(fields.map((f) => `${f.protocol}_${f.name}=${f.value}`)).toEqual([
      'sockets_used=20',
      'TCP_inuse=5',
      'TCP_orphan=0',
      'TCP_tw=13',
      'TCP_alloc=5',
      'TCP_mem=192',
      'FRAG_inuse=0',
      'FRAG_memory=0',
    ]);
    const fams = sockstatFamilies(fields, 4096);
    expect(fams.find((f) => f.name === 'node_sockstat_TCP_mem_bytes')?.samples[0]?.value).toBe(192 * 4096);
    expect(fams.find((f) => f.name === 'node_sockstat_sockets_used')?.help).toBe(
      'Number of IPv4 sockets in use.',
    );
  });
});

describe('parseMounts', () => {
  it.each([
    [
      '/dev/vda / ext4 rw,relatime 0 0',
      { device: '/dev/vda', mountPoint: '/', fsType: 'ext4', options: 'rw,relatime' },
    ],
    [
      '/dev/sdb1 /mnt/my\\040disk vfat ro 0 0',
      { device: '/dev/sdb1', mountPoint: '/mnt/my disk', fsType: 'vfat', options: 'ro' },
    ],
    ['srv:/x /a\\011b nfs4 rw 0 0', { device: 'srv:/x', mountPoint: '/a\tb', fsType: 'nfs4', options: 'rw' }],
  ])('parses %j', (line, want) => {
    expect(parseMounts(line)).toEqual([want]);
  });
  it('skips short lines', () => {
    expect(parseMounts('garbage\n/dev/a /b')).toEqual([]);
  });
});

describe('parseConntrackStat', () => {
  it('sums hexadecimal per-CPU rows by column', () => {
    const sums = parseConntrackStat(
      'entries found drop\n00000003 0000000a 00000001\n00000003 00000001 000000ff\n',
    );
    expect(Object.fromEntries(sums)).toEqual({ entries: 6, found: 11, drop: 256 });
  });
  it.each([['entries found\n1 2 3\n'], ['entries\nzz\n']])('rejects %j', (text) => {
    expect(() => parseConntrackStat(text)).toThrow();
  });
  it('omits stat families for columns an old kernel lacks', () => {
    const names = conntrackFamilies(1, 2, new Map([['found', 1]])).map((f) => f.name);
    expect(names).toEqual([
      'node_nf_conntrack_entries',
      'node_nf_conntrack_entries_limit',
      'node_nf_conntrack_stat_found',
    ]);
  });
});
