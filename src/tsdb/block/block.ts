import { open, readFile, readdir, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, BugError } from '../../base/errors.js';
import { ENCODING_XOR } from '../../chunkenc/xor.js';
import type { Label, Labels } from '../../model/labels.js';
import type { Matcher, SampleIterator, Series } from '../../storage/storage.js';
import { ByteReader, ByteWriter, crc32c } from '../encoding.js';
import { postingsForMatchers, type Postings, type PostingsIndex } from '../index/postings.js';
import {
  ChunksIterator,
  DeletedIterator,
  dropDeleted,
  readChunks,
  type ChunkRef,
  type Interval,
} from '../iterators.js';
import { decodeRollupChunk, ENCODING_ROLLUP } from '../rollup/chunk.js';
import { Windows } from '../rollup/windows.js';
import {
  CHUNKS_MAGIC,
  FORMAT_VERSION,
  INDEX_MAGIC,
  TOMBSTONES_MAGIC,
  refOffset,
  refSegment,
  segmentName,
  type BlockMeta,
  type ChunkMeta,
} from './format.js';
import { syncDir } from './writer.js';

/**
 * A persisted, immutable block opened for reading (docs/tsdb/block.md). The index is loaded into
 * memory; chunk bytes are read from the segment files on each select. Chunk segment files stay
 * open for the block's life, so a compaction that deletes the directory does not break a query
 * that is still reading it. Tombstones are the only mutable part.
 */

const EMPTY: Postings = new Uint32Array(0);

interface IndexData {
  readonly series: Labels[];
  readonly chunks: ChunkMeta[][];
  readonly postings: Map<string, Map<string, Postings>>;
}

/** Parses an index file (see {@link encodeIndex}). `what` names it in errors. */
export function decodeIndex(b: Uint8Array, what: string): IndexData {
  const r = new ByteReader(b, what);
  if (r.u32() !== INDEX_MAGIC) throw new AppError('io', `${what}: not a block index (bad magic)`);
  const version = r.u8();
  if (version !== FORMAT_VERSION) throw new AppError('io', `${what}: unsupported index version ${version}`);
  const section = (): ByteReader => {
    const len = r.u32();
    const body = r.raw(len);
    if (crc32c(body) !== r.u32())
      throw new AppError('io', `${what}: checksum mismatch in section at ${r.pos}`);
    return new ByteReader(body, what);
  };
  const sr = section();
  const symbols: string[] = new Array<string>(sr.uvarint());
  for (let i = 0; i < symbols.length; i++) symbols[i] = sr.str();
  const sym = (x: number): string => {
    const s = symbols[x];
    if (s === undefined) throw new AppError('io', `${what}: symbol ${x} out of range`);
    return s;
  };

  const ser = section();
  const n = ser.uvarint();
  const series: Labels[] = new Array<Labels>(n);
  const chunks: ChunkMeta[][] = new Array<ChunkMeta[]>(n);
  for (let i = 0; i < n; i++) {
    const nl = ser.uvarint();
    const labels: Label[] = new Array<Label>(nl);
    for (let j = 0; j < nl; j++) labels[j] = { name: sym(ser.uvarint()), value: sym(ser.uvarint()) };
    series[i] = labels;
    const nc = ser.uvarint();
    const metas: ChunkMeta[] = new Array<ChunkMeta>(nc);
    let prevMaxT = 0;
    let prevRef = 0;
    for (let j = 0; j < nc; j++) {
      const minT = j === 0 ? ser.varint() : prevMaxT + ser.varint();
      const maxT = minT + ser.uvarint();
      const ref = j === 0 ? ser.uvarint() : prevRef + ser.uvarint();
      const len = ser.uvarint();
      metas[j] = { minT, maxT, ref, len };
      prevMaxT = maxT;
      prevRef = ref;
    }
    chunks[i] = metas;
  }

  const pr = section();
  const postings = new Map<string, Map<string, Postings>>();
  const np = pr.uvarint();
  for (let i = 0; i < np; i++) {
    const name = sym(pr.uvarint());
    const value = sym(pr.uvarint());
    const ids = new Uint32Array(pr.uvarint());
    let prev = 0;
    for (let j = 0; j < ids.length; j++) {
      prev += pr.uvarint();
      ids[j] = prev;
    }
    let byValue = postings.get(name);
    if (byValue === undefined) {
      byValue = new Map();
      postings.set(name, byValue);
    }
    byValue.set(value, ids);
  }
  return { series, chunks, postings };
}

/** Encodes tombstones: series id → deleted intervals. */
export function encodeTombstones(t: ReadonlyMap<number, readonly Interval[]>): Uint8Array {
  const w = new ByteWriter(256);
  w.u32(TOMBSTONES_MAGIC);
  w.u8(FORMAT_VERSION);
  const body = new ByteWriter(256);
  const ids = [...t.keys()].sort((a, b) => a - b);
  body.uvarint(ids.length);
  for (const id of ids) {
    const list = t.get(id)!;
    body.uvarint(id);
    body.uvarint(list.length);
    for (const iv of list) {
      body.varint(iv.minT);
      body.varint(iv.maxT);
    }
  }
  w.u32(body.length);
  w.raw(body.bytes());
  w.u32(crc32c(body.bytes()));
  return w.bytes();
}

/** Decodes a tombstones file. */
export function decodeTombstones(b: Uint8Array, what: string): Map<number, Interval[]> {
  const r = new ByteReader(b, what);
  if (r.u32() !== TOMBSTONES_MAGIC) throw new AppError('io', `${what}: not a tombstones file (bad magic)`);
  if (r.u8() !== FORMAT_VERSION) throw new AppError('io', `${what}: unsupported tombstones version`);
  const len = r.u32();
  const body = r.raw(len);
  if (crc32c(body) !== r.u32()) throw new AppError('io', `${what}: checksum mismatch`);
  const br = new ByteReader(body, what);
  const out = new Map<number, Interval[]>();
  const n = br.uvarint();
  for (let i = 0; i < n; i++) {
    const id = br.uvarint();
    const k = br.uvarint();
    const list: Interval[] = [];
    for (let j = 0; j < k; j++) list.push({ minT: br.varint(), maxT: br.varint() });
    out.set(id, list);
  }
  return out;
}

/** An open, immutable block. */
export class Block implements PostingsIndex {
  readonly dir: string;
  readonly meta: BlockMeta;
  /** Bytes on disk (chunks, index, meta, tombstones). */
  readonly sizeBytes: number;
  readonly #index: IndexData;
  readonly #segments: FileHandle[];
  #tombstones: Map<number, Interval[]>;
  #all: Postings | null = null;
  #readers = 0;
  #closeWhenIdle = false;
  #closed = false;

  private constructor(
    dir: string,
    meta: BlockMeta,
    index: IndexData,
    segments: FileHandle[],
    tombstones: Map<number, Interval[]>,
    sizeBytes: number,
  ) {
    this.dir = dir;
    this.meta = meta;
    this.#index = index;
    this.#segments = segments;
    this.#tombstones = tombstones;
    this.sizeBytes = sizeBytes;
  }

  /** Opens the block in `dir`; throws AppError('io') when a file is missing or corrupt. */
  static async open(dir: string): Promise<Block> {
    let meta: BlockMeta;
    try {
      meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as BlockMeta;
    } catch (err) {
      throw new AppError('io', `open block ${dir}: cannot read meta.json`, { cause: err });
    }
    if (meta.version !== 1 || typeof meta.minTime !== 'number' || typeof meta.maxTime !== 'number') {
      throw new AppError('io', `open block ${dir}: unsupported meta.json`);
    }
    let size = 0;
    const indexPath = join(dir, 'index');
    let indexBytes: Buffer;
    try {
      indexBytes = await readFile(indexPath);
    } catch (err) {
      throw new AppError('io', `open block ${dir}: cannot read index`, { cause: err });
    }
    size += indexBytes.length;
    const index = decodeIndex(indexBytes, indexPath);
    let tombstones = new Map<number, Interval[]>();
    const tombPath = join(dir, 'tombstones');
    try {
      const tb = await readFile(tombPath);
      size += tb.length;
      tombstones = decodeTombstones(tb, tombPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const names = (await readdir(join(dir, 'chunks'))).filter((n) => /^\d{6}$/.test(n)).sort();
    const segments: FileHandle[] = [];
    try {
      for (let i = 0; i < names.length; i++) {
        if (names[i] !== segmentName(i + 1))
          throw new AppError('io', `open block ${dir}: chunk segment ${i + 1} missing`);
        const fh = await open(join(dir, 'chunks', names[i]!), 'r');
        segments.push(fh);
        const st = await fh.stat();
        size += st.size;
        const head = Buffer.alloc(8);
        await fh.read(head, 0, 8, 0);
        if (head.readUInt32BE(0) !== CHUNKS_MAGIC)
          throw new AppError('io', `open block ${dir}: bad chunk segment magic`);
      }
    } catch (err) {
      for (const fh of segments) await fh.close();
      throw err;
    }
    size += (await stat(join(dir, 'meta.json'))).size;
    return new Block(dir, meta, index, segments, tombstones, size);
  }

  /** Number of series. */
  get numSeries(): number {
    return this.#index.series.length;
  }

  postings(name: string, value: string): Postings {
    return this.#index.postings.get(name)?.get(value) ?? EMPTY;
  }

  labelValues(name: string): readonly string[] {
    const m = this.#index.postings.get(name);
    return m === undefined ? [] : [...m.keys()];
  }

  allPostings(): Postings {
    if (this.#all === null) {
      const all = new Uint32Array(this.#index.series.length);
      for (let i = 0; i < all.length; i++) all[i] = i;
      this.#all = all;
    }
    return this.#all;
  }

  /** Labels of series `id`. */
  labelsOf(id: number): Labels {
    return this.#index.series[id]!;
  }

  /** Chunk metas of series `id`. */
  chunksOf(id: number): readonly ChunkMeta[] {
    return this.#index.chunks[id]!;
  }

  /** Deleted intervals of series `id`. */
  tombstonesOf(id: number): readonly Interval[] | undefined {
    return this.#tombstones.get(id);
  }

  /** Number of series with tombstones. */
  get numTombstones(): number {
    return this.#tombstones.size;
  }

  /** Marks a reader as using the block; pair with {@link release}. */
  acquire(): void {
    this.#readers++;
  }

  /** Ends a reader's use; closes the block if it was closed meanwhile. */
  release(): void {
    this.#readers--;
    if (this.#readers === 0 && this.#closeWhenIdle) void this.#closeNow();
  }

  /** Reads the chunks of series `id` that overlap [mint, maxt], verifying checksums. */
  readChunks(id: number, mint: number, maxt: number): Promise<ChunkRef[]> {
    return this.#readMany(this.#index.chunks[id]!.filter((c) => c.maxT >= mint && c.minT <= maxt));
  }

  /**
   * Reads chunks (any order; results in the same order), coalescing entries that lie close
   * together in a segment into one read: the chunks of consecutive series are adjacent on disk.
   */
  async #readMany(metas: readonly ChunkMeta[]): Promise<ChunkRef[]> {
    const GAP = 64 * 1024;
    const MAX_SPAN = 16 * 1024 * 1024;
    const order = metas.map((_, i) => i);
    order.sort((x, y) => metas[x]!.ref - metas[y]!.ref);
    const out: ChunkRef[] = new Array<ChunkRef>(metas.length);
    let i = 0;
    while (i < order.length) {
      const first = metas[order[i]!]!;
      const seg = refSegment(first.ref);
      const start = refOffset(first.ref);
      let end = start + first.len;
      let j = i;
      while (j + 1 < order.length) {
        const m = metas[order[j + 1]!]!;
        const off = refOffset(m.ref);
        if (refSegment(m.ref) !== seg || off - end > GAP || off + m.len - start > MAX_SPAN) break;
        end = Math.max(end, off + m.len);
        j++;
      }
      const fh = this.#segments[seg - 1];
      if (fh === undefined) throw new AppError('io', `block ${this.dir}: chunk segment ${seg} missing`);
      const buf = Buffer.alloc(end - start);
      const { bytesRead } = await fh.read(buf, 0, buf.length, start);
      if (bytesRead !== buf.length)
        throw new AppError('io', `block ${this.dir}: chunk segment ${seg} truncated`);
      for (let k = i; k <= j; k++) {
        const m = metas[order[k]!]!;
        const r = new ByteReader(buf, `block ${this.dir} chunk ${m.ref}`, refOffset(m.ref) - start);
        const dataLen = r.uvarint();
        const encAt = r.pos;
        const enc = r.u8();
        const data = r.raw(dataLen);
        const crc = r.u32();
        if (crc32c(buf.subarray(encAt, encAt + 1 + dataLen)) !== crc) {
          throw new AppError('io', `block ${this.dir}: checksum mismatch in chunk ${m.ref}`);
        }
        if (enc !== (this.meta.resolution === undefined ? ENCODING_XOR : ENCODING_ROLLUP))
          throw new AppError('io', `block ${this.dir}: unknown chunk encoding ${enc}`);
        out[order[k]!] = { bytes: data, numSamples: (data[0]! << 8) | data[1]!, minT: m.minT, maxT: m.maxT };
      }
      i = j + 1;
    }
    return out;
  }

  /** The series of `ids` as query results over [mint, maxt], tombstones applied. */
  async seriesFor(ids: Postings, mint: number, maxt: number): Promise<Series[]> {
    const picked: { id: number; from: number; to: number }[] = [];
    const metas: ChunkMeta[] = [];
    for (const id of ids) {
      const from = metas.length;
      for (const c of this.#index.chunks[id]!) if (c.maxT >= mint && c.minT <= maxt) metas.push(c);
      if (metas.length > from) picked.push({ id, from, to: metas.length });
    }
    const chunks = await this.#readMany(metas);
    return picked.map(({ id, from, to }) => {
      const mine = chunks.slice(from, to);
      const deleted = this.#tombstones.get(id);
      return {
        labels: this.#index.series[id]!,
        iterator: (): SampleIterator => {
          const it = new ChunksIterator(mine, mint, maxt);
          return deleted === undefined ? it : new DeletedIterator(it, deleted);
        },
        readSamples: () => {
          const a = readChunks(mine, mint, maxt);
          return deleted === undefined ? a : dropDeleted(a, deleted);
        },
      };
    });
  }

  /**
   * A rollup block's windows (docs/tsdb/block.md "Rollups") for the series `ids`, with ends in
   * [mint, maxt], tombstones applied (a window whose end lies in a deleted interval is dropped;
   * {@link delete} callers widen intervals to whole windows). Series without a window are left out.
   */
  async windowsFor(
    ids: Postings,
    mint: number,
    maxt: number,
  ): Promise<{ labels: Labels; windows: Windows }[]> {
    const res = this.meta.resolution;
    if (res === undefined) throw new BugError(`block ${this.dir}: not a rollup block`);
    const picked: { id: number; from: number; to: number }[] = [];
    const metas: ChunkMeta[] = [];
    for (const id of ids) {
      const from = metas.length;
      for (const c of this.#index.chunks[id]!) if (c.maxT >= mint && c.minT <= maxt) metas.push(c);
      if (metas.length > from) picked.push({ id, from, to: metas.length });
    }
    const chunks = await this.#readMany(metas);
    const out: { labels: Labels; windows: Windows }[] = [];
    for (const { id, from, to } of picked) {
      const all = new Windows(res, (to - from) * 32);
      for (let k = from; k < to; k++) decodeRollupChunk(chunks[k]!.bytes, all, `block ${this.dir}`);
      const deleted = this.#tombstones.get(id);
      const inside = all.length > 0 && all.t[0]! >= mint && all.t[all.length - 1]! <= maxt;
      if (deleted === undefined && inside) {
        out.push({ labels: this.#index.series[id]!, windows: all });
        continue;
      }
      const w = new Windows(res, all.length);
      if (deleted === undefined) w.addWindows(all, mint, maxt);
      else {
        for (let i = 0; i < all.length; i++) {
          const t = all.t[i]!;
          if (t < mint || t > maxt || deleted.some((d) => t >= d.minT && t <= d.maxT)) continue;
          w.addWindow(all, i);
        }
      }
      if (w.length > 0) out.push({ labels: this.#index.series[id]!, windows: w });
    }
    return out;
  }

  /** Rollup blocks: {@link windowsFor} the series matching the matchers. */
  selectWindows(
    matchers: readonly Matcher[],
    mint: number,
    maxt: number,
  ): Promise<{ labels: Labels; windows: Windows }[]> {
    return this.windowsFor(postingsForMatchers(this, matchers), mint, maxt);
  }

  /** Series matching the matchers with samples in [mint, maxt], sorted by labels. */
  async select(matchers: readonly Matcher[], mint: number, maxt: number): Promise<Series[]> {
    if (this.meta.maxTime <= mint || this.meta.minTime > maxt) return [];
    return this.seriesFor(postingsForMatchers(this, matchers), mint, maxt);
  }

  /** Label names of series matching the matchers (all when none). */
  labelNames(matchers: readonly Matcher[]): string[] {
    if (matchers.length === 0) return [...this.#index.postings.keys()];
    const names = new Set<string>();
    for (const id of postingsForMatchers(this, matchers))
      for (const l of this.#index.series[id]!) names.add(l.name);
    return [...names];
  }

  /** Values of `name` among series matching the matchers (all when none). */
  matchingLabelValues(name: string, matchers: readonly Matcher[]): string[] {
    if (matchers.length === 0) return [...this.labelValues(name)];
    const values = new Set<string>();
    for (const id of postingsForMatchers(this, matchers))
      for (const l of this.#index.series[id]!) if (l.name === name) values.add(l.value);
    return [...values];
  }

  /** Adds deleted intervals for the series matching the matchers and persists them. Returns how many series. */
  async delete(matchers: readonly Matcher[], minT: number, maxT: number): Promise<number> {
    const ids = postingsForMatchers(this, matchers);
    const next = new Map(this.#tombstones);
    let n = 0;
    for (const id of ids) {
      const chunks = this.#index.chunks[id]!;
      if (chunks.length === 0 || chunks[chunks.length - 1]!.maxT < minT || chunks[0]!.minT > maxT) continue;
      next.set(id, [...(next.get(id) ?? []), { minT, maxT }]);
      n++;
    }
    if (n === 0) return 0;
    const tmp = join(this.dir, 'tombstones.tmp');
    await writeFile(tmp, encodeTombstones(next));
    const fh = await open(tmp, 'r+');
    await fh.sync();
    await fh.close();
    await rename(tmp, join(this.dir, 'tombstones'));
    await syncDir(this.dir);
    this.#tombstones = next;
    return n;
  }

  /** Closes the block once no reader uses it. */
  async close(): Promise<void> {
    if (this.#readers > 0) {
      this.#closeWhenIdle = true;
      return;
    }
    await this.#closeNow();
  }

  async #closeNow(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const fh of this.#segments) await fh.close();
  }

  /** Closes the block and removes its directory (renamed first, so a crash leaves no half block). */
  async closeAndDelete(): Promise<void> {
    const gone = `${this.dir}.deleted`;
    await rename(this.dir, gone);
    await rm(gone, { recursive: true, force: true });
    await this.close();
  }
}
