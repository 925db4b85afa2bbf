/// A zero-initialised, fixed-size buffer of trainer scalars that owns its memory. Reference
/// semantics: scratch activations and parameter blocks are shared by pointer, never copied.
final class ScalarBuffer<T: TrainingScalar>: @unchecked Sendable {
    // @unchecked: each buffer is written by one owner; parallel loops write disjoint ranges.
    let count: Int
    let pointer: UnsafeMutablePointer<T>

    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    convenience init(_ values: [T]) {
        self.init(count: values.count)
        pointer.update(from: values, count: values.count)
    }

    deinit { pointer.deallocate() }

    subscript(i: Int) -> T {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    var array: [T] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    func zero() { pointer.update(repeating: 0, count: count) }
}

/// Grows on demand; contents are undefined after growth. For per-pass scratch whose size
/// depends on the sequence.
struct GrowableScratch<T: TrainingScalar> {
    private(set) var buffer = ScalarBuffer<T>(count: 0)
    mutating func reserve(_ n: Int) -> UnsafeMutablePointer<T> {
        if buffer.count < n { buffer = ScalarBuffer<T>(count: n) }
        return buffer.pointer
    }
}
