import Testing
@testable import Inference

@Suite struct DecodeStatsTests {
    @Test func tauAndRates() {
        var s = DecodeStats()
        s.newTokens = 30; s.steps = 12; s.decodeMilliseconds = 150
        s.proposedPerDepth = [12, 10, 0]; s.acceptedPerDepth = [9, 5, 0]
        #expect(s.tau == 2.5)
        #expect(s.tokensPerSecond == 200)
        #expect(s.acceptRate(depth: 1) == 0.75)
        #expect(s.acceptRate(depth: 3) == nil)
        #expect(s.acceptRate(depth: 4) == nil)
    }
}
