// Types for snappyjs (https://github.com/zhipeng-jia/snappyjs), which ships none: the Snappy
// block format (not the framing format), as Prometheus remote_write uses it.
declare module 'snappyjs' {
  /** Compresses `input` into a new buffer of the same kind. */
  export function compress(input: Uint8Array): Uint8Array;
  /**
   * Decompresses `input`; throws a plain Error on a malformed stream or when the declared
   * uncompressed length exceeds `maxLength`.
   */
  export function uncompress(input: Uint8Array, maxLength?: number): Uint8Array;
}
