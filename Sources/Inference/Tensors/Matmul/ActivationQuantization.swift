// Activations for the int8 kernels: each column quantized to int8 with one scale per 32
// elements, as llama.cpp's q8_0 / q8_1 activation blocks:
//   amax = max |x_i|,  scale = binary16(amax / 127),  q_i = round_half_even(x_i * (127 / amax))
//   sum = sum q_i,  scaledSum = scale * sum
// (llama.cpp stores the scale, and q8_1's sum term, as binary16; we round the scale the same
// way so block products match its numerics, and keep scaledSum in Float.)
//
// Why one scale per 32 elements and not one per row: a per-row scale lets the kernel skip one
// multiply per block and column, but in the row-interleaved kernel that multiply is not on
// the critical port (vpdpbusd and the int->float conversion are), and measured on synthetic
// data with outlier channels the per-row scale had ~5-30x the error (KernelBenchmarkTests
// prints both). Per-block scales also follow llama.cpp, which the engine is compared against.

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
