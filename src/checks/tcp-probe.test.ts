import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricFamily } from '../model/metric.js';
import { certificateStatus, ipAddrHash, TcpProbe, worseStatus, type TcpProbeOptions } from './tcp-probe.js';
import { makeSelfSignedCert } from '../../test/support/self-signed-cert.js';

/** A tiny SMTP-like conversation: greet, answer HELO, then close. */
function converse(socket: Socket): void {
  socket.setEncoding('utf8');
  socket.write('220 kanshi.test ready\r\n');
  socket.on('data', (d: string) => {
    if (d.startsWith('HELO ')) socket.end(`250 hello ${d.slice(5).trim()}\r\n`);
  });
  socket.on('error', () => {});
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

function value(families: readonly MetricFamily[], name: string): number | undefined {
  return families.find((f) => f.name === name)?.samples[0]?.value;
}

const signal = new AbortController().signal;
let tmp: string;
let plain: Server;
let secure: Server;
let plainPort: number;
let securePort: number;
let certPem: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'kanshi-tcp-probe-'));
  const cert = makeSelfSignedCert(tmp, { subject: '/CN=localhost' });
  certPem = cert.certPem;
  plain = createServer((s) => {
    sockets.add(s);
    converse(s);
  });
  secure = createTlsServer({ key: cert.keyPem, cert: certPem }, (s) => {
    sockets.add(s);
    converse(s);
  });
  plainPort = await listen(plain);
  securePort = await listen(secure);
});

afterAll(() => {
  for (const s of sockets) s.destroy();
  plain.close();
  secure.close();
  rmSync(tmp, { recursive: true, force: true });
});

const probe = (o: Partial<TcpProbeOptions>): TcpProbe =>
  new TcpProbe({ name: 'smtp', host: '127.0.0.1', port: plainPort, timeoutMs: 5000, ...o });

describe('TcpProbe', () => {
  it('connects and reports blackbox_exporter tcp metrics', async () => {
    const { result, families } = await probe({}).probe(signal);
    expect(result.status).toBe('OK');
    expect(result.message).toMatch(new RegExp(`^TCP connect to 127.0.0.1:${plainPort} in \\d+ ms$`));
    expect(families.map((f) => f.name).sort()).toEqual([
      'probe_dns_lookup_time_seconds',
      'probe_duration_seconds',
      'probe_failed_due_to_regex',
      'probe_ip_addr_hash',
      'probe_ip_protocol',
      'probe_success',
    ]);
    expect(value(families, 'probe_success')).toBe(1);
    expect(value(families, 'probe_ip_protocol')).toBe(4);
  });

  it('talks a line protocol with expect and send, expanding ${1}', async () => {
    const { result, families } = await probe({
      queryResponse: [{ expect: /^220 (\S+)/, send: 'HELO ${1}' }, { expect: '^250 hello kanshi\\.test$' }],
    }).probe(signal);
    expect(result.status).toBe('OK');
    expect(value(families, 'probe_failed_due_to_regex')).toBe(0);
  });

  it('fails when no line matches before the peer closes', async () => {
    const { result, families } = await probe({
      queryResponse: [{ expect: '^220', send: 'HELO x' }, { expect: '^354' }],
    }).probe(signal);
    expect(result.status).toBe('CRITICAL');
    expect(result.message).toBe(`no line from 127.0.0.1:${plainPort} matched /^354/`);
    expect(value(families, 'probe_failed_due_to_regex')).toBe(1);
    expect(value(families, 'probe_success')).toBe(0);
  });

  it('times out waiting for a line that never comes', async () => {
    const { result } = await probe({ timeoutMs: 300, queryResponse: [{ expect: '^never' }] }).probe(signal);
    expect(result.status).toBe('CRITICAL');
    expect(result.reason).toBe('timeout');
    expect(result.message).toBe(`timeout after 300 ms probing 127.0.0.1:${plainPort}`);
  });

  it('reports a refused connection as CRITICAL', async () => {
    const closed = createServer();
    const port = await listen(closed);
    closed.close();
    const { result } = await probe({ port }).probe(signal);
    expect(result.status).toBe('CRITICAL');
    expect(result.message).toMatch(new RegExp(`^cannot connect to 127.0.0.1:${port}: .*ECONNREFUSED`));
  });

  it('connects with TLS and reports the certificate', async () => {
    const { result, families } = await probe({ port: securePort, isTls: true, caPem: certPem }).probe(signal);
    expect(result.status).toBe('OK');
    expect(result.message).toMatch(/^TLS connect to /);
    const expiry = Date.parse(new X509Certificate(certPem).validTo) / 1000;
    expect(value(families, 'probe_ssl_earliest_cert_expiry')).toBe(expiry);
    expect(value(families, 'probe_ssl_last_chain_expiry_timestamp_seconds')).toBe(expiry);
    expect(families.some((f) => f.name === 'probe_tls_version_info')).toBe(true);
  });

  it('fails an unverified certificate and warns near expiry', async () => {
    const { result } = await probe({ port: securePort, isTls: true }).probe(signal);
    expect(result.status).toBe('CRITICAL');
    expect(result.message).toMatch(/self-signed certificate/);
    const expiryMs = Date.parse(new X509Certificate(certPem).validTo);
    const { result: warn } = await probe({
      port: securePort,
      isTls: true,
      verifyTls: false,
      now: () => expiryMs - 3 * 86_400_000,
    }).probe(signal);
    expect(warn.status).toBe('WARNING');
    expect(warn.message).toMatch(/, certificate expires in 3 days/);
  });

  it('reports UNKNOWN when the caller aborts', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const { result } = await probe({ timeoutMs: 60_000, queryResponse: [{ expect: '^never' }] }).probe(
      ac.signal,
    );
    expect(result.status).toBe('UNKNOWN');
  });

  it.each([0, 70000, 1.5])('rejects port %d', (port) => {
    expect(() => probe({ port })).toThrow(`tcp probe smtp: port must be 1-65535, got ${port}`);
  });

  it('rejects an expect that does not compile, naming it', () => {
    expect(() => probe({ queryResponse: [{ expect: '^220' }, { expect: '(' }] })).toThrow(
      'tcp probe smtp: invalid expect "("',
    );
  });
});

describe('ipAddrHash', () => {
  // Values Debian's blackbox_exporter 0.23 reported for the same addresses.
  it.each([
    ['127.0.0.1', 3668918509],
    ['10.1.2.3', 2037296051],
    ['::1', 1751717746],
  ])('hashes %s like blackbox_exporter', (address, hash) => {
    expect(ipAddrHash(address)).toBe(hash);
  });

  it('expands :: and embedded IPv4 the same way', () => {
    expect(ipAddrHash('0:0:0:0:0:0:0:1')).toBe(ipAddrHash('::1'));
    expect(ipAddrHash('::ffff:127.0.0.1')).toBe(ipAddrHash('::ffff:7f00:1'));
    expect(ipAddrHash('fe80::1:2')).toBe(ipAddrHash('fe80:0:0:0:0:0:1:2'));
  });
});

describe('certificateStatus', () => {
  const day = 86_400_000;
  it.each([
    [30 * day, 'OK', undefined],
    [10 * day, 'WARNING', 'certificate expires in 10 days (1970-01-31T00:00:00Z)'],
    [2 * 3_600_000, 'WARNING', 'certificate expires in 2 hours (1970-01-31T00:00:00Z)'],
    [0, 'CRITICAL', 'certificate expired 1970-01-31T00:00:00Z'],
  ])('with %d ms left gives %s', (left, status, note) => {
    const expiryS = (30 * day) / 1000;
    expect(certificateStatus(expiryS, expiryS * 1000 - left, 14 * day)).toEqual(
      note === undefined ? { status } : { status, note },
    );
  });

  it('orders statuses by severity', () => {
    expect(worseStatus('OK', 'WARNING')).toBe('WARNING');
    expect(worseStatus('CRITICAL', 'WARNING')).toBe('CRITICAL');
    expect(worseStatus('UNKNOWN', 'WARNING')).toBe('WARNING');
  });
});
