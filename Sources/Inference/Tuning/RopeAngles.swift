import Foundation

/// RoPE for the trainer: the engine's rotation (RopeTable: pairs (x[2i], x[2i+1]) of a head
/// rotated by position * base^(-2i / rotatedDims), angles by llama.cpp's Float recurrence) with cos/sin tabulated per
/// position, plus the transposed rotation that carries gradients back.
struct RopeAngles<T: TrainingScalar>: Sendable {
    let headDim: Int
    let pairs: Int
    let positions: Int
    private let cosines: [T]   // [positions][pairs]
    private let sines: [T]

    init(headDim: Int, rotatedDims: Int, base: Float, positions: Int) {
        self.headDim = headDim
        let pairs = rotatedDims / 2
        self.pairs = pairs
        self.positions = positions
        var c = [T](repeating: 0, count: positions * pairs)
        var s = c
        for p in 0..<positions {
            // The engine's angles (RopeTable), so Float angles match its bits.
            RopeTable.angles(position: p, rotatedDims: rotatedDims, base: base) { i, cosine, sine in
                c[p * pairs + i] = T(cosine)
                s[p * pairs + i] = T(sine)
            }
        }
        cosines = c
        sines = s
    }

    /// Rotates `heads` consecutive heads of `x` in place to `position`.
    @inline(__always)
    func rotate(_ x: UnsafeMutablePointer<T>, heads: Int, position: Int) {
        precondition(position < positions, "position \(position) beyond the model's context")
        cosines.withUnsafeBufferPointer { cb in
            sines.withUnsafeBufferPointer { sb in
                let cp = cb.baseAddress! + position * pairs, sp = sb.baseAddress! + position * pairs
                for h in 0..<heads {
                    let v = x + h * headDim
                    for i in 0..<pairs {
                        let a = v[2 * i], b = v[2 * i + 1]
                        v[2 * i] = a * cp[i] - b * sp[i]
                        v[2 * i + 1] = a * sp[i] + b * cp[i]
                    }
                }
            }
        }
    }

    /// Gradient of `rotate`: applies the transposed (inverse) rotation to dy in place.
    @inline(__always)
    func rotateBack(_ dy: UnsafeMutablePointer<T>, heads: Int, position: Int) {
        cosines.withUnsafeBufferPointer { cb in
            sines.withUnsafeBufferPointer { sb in
                let cp = cb.baseAddress! + position * pairs, sp = sb.baseAddress! + position * pairs
                for h in 0..<heads {
                    let v = dy + h * headDim
                    for i in 0..<pairs {
                        let a = v[2 * i], b = v[2 * i + 1]
                        v[2 * i] = a * cp[i] + b * sp[i]
                        v[2 * i + 1] = b * cp[i] - a * sp[i]
                    }
                }
            }
        }
    }
}
