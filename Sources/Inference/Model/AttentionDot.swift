/// The query-key dot product of attention, q·k over `count` floats.
///
/// Sixteen lanes of partial sums (lane j adds elements j, j + 16, j + 32, ... with fused
/// multiply-adds), then the lanes summed pairwise, then any tail of fewer than 16 elements in order. The
/// order depends only on `count`, so a row's scores, and so its logits, are the same whatever
/// batch it is in. Measured: a 512-token prefill of SmolLM2 (64-dim heads) spent most of its
/// time in the plain sequential loop, whose 64 dependent adds do not vectorize.
@inline(__always)
func attentionDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    foldedDot(count: count,
              lanes: { e in UnsafeRawPointer(b + e).loadUnaligned(as: SIMD16<Float>.self) },
              query: a, element: { b[$0] })
}

/// `attentionDot` of a Float query and a binary16 key (the KV cache's element type): the key is
/// widened to Float (exact), then the same lanes, folds and tail order as the Float version, so
/// the result is the bits `attentionDot` gives the same key stored as Float.
@inline(__always)
func attentionDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<KVElement>, count: Int) -> Float {
    foldedDot(count: count,
              lanes: { e in SIMD16<Float>(UnsafeRawPointer(b + e).loadUnaligned(as: SIMD16<KVElement>.self)) },
              query: a, element: { Float(b[$0]) })
}

/// The arithmetic of both overloads: `lanes(e)` is the key's elements e ..< e + 16 as Floats,
/// `element(e)` one element of the tail.
@inline(__always)
private func foldedDot(count: Int, lanes: (Int) -> SIMD16<Float>, query a: UnsafePointer<Float>,
                       element: (Int) -> Float) -> Float {
    var acc = SIMD16<Float>(repeating: 0)
    var e = 0
    while e + 16 <= count {
        let x = UnsafeRawPointer(a + e).loadUnaligned(as: SIMD16<Float>.self)
        acc = acc.addingProduct(x, lanes(e))
        e += 16
    }
    var s = foldedPairwise(acc)
    while e < count {
        s += a[e] * element(e)
        e += 1
    }
    return s
}

/// The plain twin of `attentionDot`: one running sum in element order.
func attentionDotReference(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    var s: Float = 0
    for e in 0..<count { s += a[e] * b[e] }
    return s
}

/// The 16 lanes summed by halves, pairwise (16 -> 8 -> 4 -> 2 -> 1): a short dependency chain,
/// unlike the lane-by-lane order of `sum()`, which measured ~100 cycles per 64-element dot.
/// Used by `attentionDot` and the softmax sum (`Exponential.laneSum`).
@inline(__always)
func foldedPairwise(_ acc: SIMD16<Float>) -> Float {
    let a8 = acc.lowHalf + acc.highHalf
    let a4 = a8.lowHalf + a8.highHalf
    let a2 = a4.lowHalf + a4.highHalf
    return a2[0] + a2[1]
}
