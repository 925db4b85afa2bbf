import Foundation

/// RoPE for the trainer: the engine's rotation (RopeTable: pairs (x[2i], x[2i+1]) of a head
/// rotated by position * base^(-2i / rotatedDims), angles from Double) with cos/sin tabulated per
/// position, plus the transposed rotation that carries gradients back.
struct RopeAngles<T: TrainingScalar>: Sendable {
    let headDim: Int
    let pairs: Int
    let positions: Int
    private let cosines: [T]   // [positions][pairs]
    private let sines: [T]

    init(headDim: Int, rotatedDims: Int, base: Float, positions: Int) {
        self.headDim = headDim
        pairs = rotatedDims / 2
        self.positions = positions
        var c = [T](repeating: 0, count: positions * pairs)
        var s = c
        for p in 0..<positions {
            for i in 0..<pairs {
                // Same Double arithmetic as RopeTable so Float angles match the engine's bits.
                let inv = pow(Double(base), -2 * Double(i) / Double(rotatedDims))
                let theta = Double(p) * inv
                c[p * pairs + i] = T(cos(theta))
                s[p * pairs + i] = T(sin(theta))
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
