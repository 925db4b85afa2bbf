/// The element type of stored keys and values: IEEE binary16. The forward pass rounds every key
/// and value to binary16 before attention uses it (as llama.cpp's default F16 cache does), so
/// storing binary16 loses nothing, and attention reads half the bytes of a Float cache.
public typealias KVElement = Float16

/// Keys and values of every processed row, per layer, preallocated for `capacity` rows.
/// Keys are stored after RoPE. Rows are kept in sequence order; BiTA's draft and mask rows are
/// appended by a step and then dropped or compacted to the accepted path.
///
/// Layout per layer: keys[row * kvDim + c], values[row * kvDim + c], binary16 (`KVElement`),
/// 2 bytes per element: 2 * 2 * kvDim bytes per row and layer.
public final class KVCache: @unchecked Sendable {
    // @unchecked: mutated only by the decoder that owns it, never shared across tasks at once.
    public let layerCount: Int
    public let kvDim: Int
    public let capacity: Int
    /// Rows in use.
    public private(set) var count = 0
    /// Position id of each row in use (RoPE position).
    public private(set) var positions: [Int]

    let keys: [UnsafeMutablePointer<KVElement>]
    let values: [UnsafeMutablePointer<KVElement>]

    public init(layerCount: Int, kvDim: Int, capacity: Int) {
        self.layerCount = layerCount
        self.kvDim = kvDim
        self.capacity = capacity
        // Large allocations are mmap-backed: pages stay non-resident until rows are written.
        keys = (0..<layerCount).map { _ in allocateCacheLineAligned(KVElement.self, count: capacity * kvDim) }
        values = (0..<layerCount).map { _ in allocateCacheLineAligned(KVElement.self, count: capacity * kvDim) }
        positions = []
        positions.reserveCapacity(capacity)
    }

    deinit {
        keys.forEach { UnsafeMutableRawPointer($0).deallocate() }
        values.forEach { UnsafeMutableRawPointer($0).deallocate() }
    }

    public var freeRows: Int { capacity - count }

    /// Reserves `n` rows at the end for a forward pass; returns the first new row index.
    func append(positions newPositions: [Int]) -> Int {
        precondition(count + newPositions.count <= capacity, "KV cache overflow")
        let start = count
        positions.append(contentsOf: newPositions)
        count += newPositions.count
        return start
    }

    /// Drops every row from `newCount` on.
    public func truncate(to newCount: Int) {
        precondition(newCount >= 0 && newCount <= count)
        positions.removeLast(count - newCount)
        count = newCount
    }

    /// Keeps rows [0, from) and then the listed rows (ascending, all >= from) in that order,
    /// dropping the rest. This is how a BiTA step keeps only the accepted path of its tree.
    public func compact(keepingPrefix from: Int, thenRows rows: [Int]) {
        precondition(from <= count)
        var dst = from
        for r in rows {
            precondition(r >= dst && r < count, "compact rows must be ascending and in range")
            if r != dst {
                for l in 0..<layerCount {
                    (keys[l] + dst * kvDim).update(from: keys[l] + r * kvDim, count: kvDim)
                    (values[l] + dst * kvDim).update(from: values[l] + r * kvDim, count: kvDim)
                }
                positions[dst] = positions[r]
            }
            dst += 1
        }
        truncate(to: dst)
    }

    public func reset() { truncate(to: 0) }
}

/// `count` uninitialized elements of `type` starting on a 64-byte boundary; free with
/// `UnsafeMutableRawPointer(p).deallocate()`. Key and value rows (a multiple of 16 elements per
/// head) then never straddle cache lines: attention's 64-byte loads measured ~1.5x slower on the
/// default 16-byte-aligned buffers (KernelBenchmarkTests.attentionPerRow, 0.86 -> 0.58 ms, when
/// the cache held Floats).
func allocateCacheLineAligned<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
    UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<T>.stride, alignment: 64)
        .bindMemory(to: T.self, capacity: max(count, 1))
}
