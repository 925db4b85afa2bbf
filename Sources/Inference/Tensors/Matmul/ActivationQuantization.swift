// Activations for the int8 kernels: each column quantized to int8 with one scale per 32
// elements, as llama.cpp's q8_0 / q8_1 activation blocks:
//   amax = max |x_i|,  scale = binary16(amax / 127),  q_i = round_half_even(x_i * (127 / amax))
//   sum = sum q_i,  scaledSum = scale * sum
// llama.cpp stores the scale (and q8_1's sum term) as binary16; we round the scale the same
// way so block products follow its numerics, and keep scaledSum in Float (rounding it too made
// no difference in agreement and moved perplexity further: on 4.6k tokens of licence text with
// SmolLM2-135M Q4_1, ctx 512, llama.cpp 24.9067, ours 24.9050; with a binary16 sum term 24.9344).
//
// Why one scale per 32 elements and not one per column: a per-column scale saves one multiply
// per block and column, but in the row-interleaved kernels that multiply does not run on the
// port that limits them (vpdpbusd): measured, the VNNI kernel with a per-column scale was ~6%
// faster when compute-bound (1536x576 Q4_1, n = 8: 3.70 vs 3.93 ns per 16-row block and
// column) and no faster at n = 1, while on synthetic data with outlier channels its error was
// up to ~5x higher (KernelBenchmarkTests prints both, e.g. 576 columns, outliers x20: relative
// RMS error 0.0067 vs 0.0157). Per-block scales also follow llama.cpp, which the engine is
// compared against.

enum ActivationQuantization {
    /// Quantizes one column of `cols` (a multiple of 32) floats. Branch-free so that it
    /// vectorizes (the checked Float -> Int8 conversion of the reference does not).
    static func quantizeColumn(_ x: UnsafePointer<Float>, cols: Int, q: UnsafeMutablePointer<Int8>,
                               scale: UnsafeMutablePointer<Float>, sum: UnsafeMutablePointer<Int32>,
                               scaledSum: UnsafeMutablePointer<Float>) {
        for b in 0..<cols / 32 {
            let xb = x + 32 * b
            // Max of |x| through the bit patterns (monotonic for non-NaN floats).
            var maxBits: UInt32 = 0
            for i in 0..<32 { maxBits = max(maxBits, xb[i].bitPattern & 0x7FFF_FFFF) }
            let amax = Float(bitPattern: maxBits)
            let inverse: Float = amax != 0 ? 127 / amax : 0
            var total: Int32 = 0
            for i in 0..<32 {
                // |x * inverse| <= 127 (< 2^22): adding 1.5 * 2^23 rounds it to an integer, ties
                // to even, which then sits in the low mantissa bits. NaN (from NaN or infinite
                // input) becomes 0; the clamp is belt and braces.
                let product = xb[i] * inverse
                let v = product == product ? product : 0
                let biased = v + 12_582_912
                let qi = min(127, max(-127, Int32(bitPattern: biased.bitPattern) &- 0x4B40_0000))
                q[32 * b + i] = Int8(truncatingIfNeeded: qi)
                total &+= qi
            }
            let s = roundedToHalfPrecision(amax / 127)
            scale[b] = s
            sum[b] = total
            scaledSum[b] = s * Float(total)
        }
    }

    /// The plain twin of `quantizeColumn`.
    static func quantizeColumnReference(_ x: UnsafePointer<Float>, cols: Int, q: UnsafeMutablePointer<Int8>,
                                        scale: UnsafeMutablePointer<Float>, sum: UnsafeMutablePointer<Int32>,
                                        scaledSum: UnsafeMutablePointer<Float>) {
        for b in 0..<cols / 32 {
            var amax: Float = 0
            for i in 0..<32 where abs(x[32 * b + i]) > amax { amax = abs(x[32 * b + i]) }
            if (0..<32).contains(where: { x[32 * b + $0].isNaN }) { amax = .nan }
            let inverse: Float = amax != 0 ? 127 / amax : 0
            var total: Int32 = 0
            for i in 0..<32 {
                var v = x[32 * b + i] * inverse
                if v.isNaN { v = 0 }
                let qi = Int32(v.rounded(.toNearestOrEven))
                q[32 * b + i] = Int8(qi)
                total += qi
            }
            let s = roundedToHalfPrecision(amax / 127)
            scale[b] = s
            sum[b] = total
            scaledSum[b] = s * Float(total)
        }
    }
}
