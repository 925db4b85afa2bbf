import Foundation

/// Rotary position embedding, LLaMA "normal" layout: pairs (x[2i], x[2i+1]) of each head are
/// rotated by position * base^(-2i / headDim). cos/sin are computed per call from Double so a
/// position gets the same numbers whatever the batch.
struct RopeTable: Sendable {
    let headDim: Int
    /// Leading dimensions of a head that rotate (the rest pass through).
    let rotatedDims: Int
    let inverseFrequencies: [Double]   // [rotatedDims / 2]

    init(headDim: Int, rotatedDims: Int, base: Float) {
        self.headDim = headDim
        self.rotatedDims = rotatedDims
        inverseFrequencies = (0..<(rotatedDims / 2)).map { i in pow(Double(base), -2 * Double(i) / Double(rotatedDims)) }
    }

    @inline(__always)
    func rotate(_ x: UnsafeMutablePointer<Float>, position: Int) {
        for i in 0..<(rotatedDims / 2) {
            let theta = Double(position) * inverseFrequencies[i]
            let c = Float(cos(theta)), s = Float(sin(theta))
            let a = x[2 * i], b = x[2 * i + 1]
            x[2 * i] = a * c - b * s
            x[2 * i + 1] = a * s + b * c
        }
    }
}
