/**
 * Memory for outgoing envelopes: Node's pooled allocator (slices of a shared slab for small sizes,
 * no zero-filling; every byte is written before it is sent).
 */
export const allocUnsafe = (n: number): Uint8Array => Buffer.allocUnsafe(n);
