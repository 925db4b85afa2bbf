import Testing
@testable import Inference

@Suite struct DequantFastTests {
    @Test func halfConversionMatchesReferenceForAllBitPatterns() {
        for bits in 0...UInt16.max {
            let fast = floatFromHalfBits(bits), reference = floatFromHalfBitsReference(bits)
            if reference.isNaN {
                #expect(fast.isNaN)
            } else if !fast.bitEqual(reference) {
                Issue.record("binary16 \(bits): fast \(fast) reference \(reference)")
                return
            }
        }
    }

    @Test(arguments: GGMLType.allCases)
    func fastMatchesReferenceBitForBit(_ type: GGMLType) {
        var random = TestRandom(seed: 0xD0 + UInt64(type.rawValue))
        let count = 4 * max(256, type.blockElements)
        // Arbitrary bytes, including non-finite binary16 scales: dequantization must still agree.
        var bytes = (0..<(count / type.blockElements * type.blockBytes)).map { _ in random.byte() }
        let fast = fastDequantized(type, bytes, count: count)
        let reference = referenceDequantized(type, bytes, count: count)
        var mismatches = 0
        for i in 0..<count where !(fast[i].bitEqual(reference[i]) || (fast[i].isNaN && reference[i].isNaN)) {
            mismatches += 1
        }
        #expect(mismatches == 0, "\(type): \(mismatches) of \(count) differ")
        // And on well-formed data.
        bytes = random.ggmlMatrix(type, rows: 4, cols: count / 4)
        let fast2 = fastDequantized(type, bytes, count: count)
        let reference2 = referenceDequantized(type, bytes, count: count)
        #expect(zip(fast2, reference2).allSatisfy { $0.bitEqual($1) })
    }
}
