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
    /// Quantizes one column of `cols` (a multiple of 32) floats.
    static func quantizeColumn(_ x: UnsafePointer<Float>, cols: Int, q: UnsafeMutablePointer<Int8>,
                               scale: UnsafeMutablePointer<Float>, sum: UnsafeMutablePointer<Int32>,
                               scaledSum: UnsafeMutablePointer<Float>) {
        for b in 0..<cols / 32 {
            let xb = x + 32 * b
            // Max of |x| through the bit patterns (monotonic for non-NaN floats); vectorizes.
            var maxBits: UInt32 = 0
            for i in 0..<32 { maxBits = max(maxBits, xb[i].bitPattern & 0x7FFF_FFFF) }
            let amax = Float(bitPattern: maxBits)
            let inverse: Float = amax != 0 ? 127 / amax : 0
            var total: Int32 = 0
            for i in 0..<32 {
                // min/max also turn a NaN into a number instead of trapping in the conversion.
                let v = max(-127, min(127, (xb[i] * inverse).rounded(.toNearestOrEven)))
                let qi = Int8(v)
                q[32 * b + i] = qi
                total &+= Int32(qi)
            }
            let s = roundedToHalfPrecision(amax / 127)
            scale[b] = s
            sum[b] = total
            scaledSum[b] = s * Float(total)
        }
    }
}
