/**
 * Memory for outgoing envelopes: Node's pooled allocator (slices of a shared slab for small sizes,
 * no zero-filling; every byte is written before it is sent).
 */
export const allocUnsafe = (n: number): Uint8Array => Buffer.allocUnsafe(n);

/** `head` then `data` in one new buffer (for a writer that cannot send two parts as one). */
export function joined(head: Uint8Array, data: Uint8Array): Uint8Array {
  const out = Buffer.allocUnsafe(head.length + data.length);
  out.set(head);
  out.set(data, head.length);
  return out;
}
