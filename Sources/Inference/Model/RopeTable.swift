import Foundation

/// Rotary position embedding, LLaMA "normal" layout: pairs (x[2i], x[2i+1]) of each head are
/// rotated by the angle position * base^(-2i / rotatedDims).
///
/// The angles follow llama.cpp's recurrence in Float, not the exact value: theta_0 = position,
/// theta_{i+1} = theta_i * powf(base, -2 / rotatedDims), then cosf/sinf. Measured on SmolLM2
/// Q4_1 (ctx 512, 2 windows of the reference text): perplexity +0.33% from llama.cpp's with
/// exact Double angles, +0.003% with this recurrence. Angles depend only on the position, so a
/// row gets the same rotation whatever batch it is in.
struct RopeTable: Sendable {
    let headDim: Int
    /// Leading dimensions of a head that rotate (the rest pass through).
    let rotatedDims: Int
    let base: Float
    /// Positions [0, tabulated) come from the table; later ones are computed per call.
    let tabulated: Int
    private let cosines: [Float]   // [tabulated][rotatedDims / 2]
    private let sines: [Float]

    /// Tables cover min(positions, 32768) positions (SmolLM2: 8192 x 32 pairs, 2 MB for both).
    init(headDim: Int, rotatedDims: Int, base: Float, positions: Int = 4096) {
        self.headDim = headDim
        self.rotatedDims = rotatedDims
        self.base = base
        let pairs = rotatedDims / 2
        tabulated = max(0, min(positions, 32768))
        var c = [Float](repeating: 0, count: tabulated * pairs), s = c
        for p in 0..<tabulated {
            Self.angles(position: p, rotatedDims: rotatedDims, base: base) { i, cosine, sine in
                c[p * pairs + i] = cosine
                s[p * pairs + i] = sine
            }
        }
        cosines = c
        sines = s
    }

    /// cos and sin of every pair's angle at `position`, in pair order (llama.cpp's recurrence).
    @inline(__always)
    static func angles(position: Int, rotatedDims: Int, base: Float, _ body: (Int, Float, Float) -> Void) {
        let step = powf(base, -2 / Float(rotatedDims))
        var theta = Float(position)
        for i in 0..<(rotatedDims / 2) {
            body(i, cosf(theta), sinf(theta))
            theta *= step
        }
    }

    @inline(__always)
    func rotate(_ x: UnsafeMutablePointer<Float>, position: Int) {
        if position < tabulated {
            let pairs = rotatedDims / 2
            cosines.withUnsafeBufferPointer { cb in
                sines.withUnsafeBufferPointer { sb in
                    let cp = cb.baseAddress! + position * pairs, sp = sb.baseAddress! + position * pairs
                    for i in 0..<pairs {
                        let a = x[2 * i], b = x[2 * i + 1]
                        x[2 * i] = a * cp[i] - b * sp[i]
                        x[2 * i + 1] = a * sp[i] + b * cp[i]
                    }
                }
            }
        } else {
            Self.angles(position: position, rotatedDims: rotatedDims, base: base) { i, c, s in
                let a = x[2 * i], b = x[2 * i + 1]
                x[2 * i] = a * c - b * s
                x[2 * i + 1] = a * s + b * c
            }
        }
    }
}
