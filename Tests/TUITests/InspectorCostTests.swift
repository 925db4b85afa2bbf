import Foundation
import Inference
import Testing
@testable import TUI

/// What the draft inspector costs the UI thread, in CPU time of that thread (so the figure does
/// not depend on how busy the machine is). While an answer streams the chat draws at most 30
/// frames per second and rebuilds the inspector's lines at most 10 times per second; the total
/// must stay under 5% of one core, so even a decoder sharing that core would lose less than 5%.
@MainActor
@Suite struct InspectorCostTests {
    func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    @Test func inspectorCostsUnderFivePercentOfACoreWhileStreaming() async {
        let h = ChatHarness(width: 100, height: 30)
        h.press(.function(3))
        await h.send("tell me a long story")
        let turn = h.controller.conversation.turns[1]
        var state = DraftInspectorState()
        state.restore(from: turn)
        state.record(StepSummary(index: 99, candidatesByDepth: (1...4).map { d in
            (0..<3).map { DraftCandidate(text: " word\(d)\($0)", depth: d, rank: $0, accepted: $0 == 0 && d < 3) }
        }, acceptedDrafts: 2, bonusText: " bonus", batchSize: 17, milliseconds: 12))

        let rounds = 200
        var start = threadCPUSeconds()
        for _ in 0..<rounds { _ = h.controller.render(size: ScreenSize(width: 100, height: 30)) }
        let frameWithInspector = (threadCPUSeconds() - start) / Double(rounds)
        start = threadCPUSeconds()
        let view = DraftInspectorView(state: state, mode: .bita)
        var lineCount = 0
        for _ in 0..<rounds { lineCount += view.lines(width: 33, height: 28).count }
        let rebuild = (threadCPUSeconds() - start) / Double(rounds)
        #expect(lineCount > 10 * rounds)

        h.press(.function(3))
        start = threadCPUSeconds()
        for _ in 0..<rounds { _ = h.controller.render(size: ScreenSize(width: 100, height: 30)) }
        let frameWithout = (threadCPUSeconds() - start) / Double(rounds)

        let inspectorShare = max(0, frameWithInspector - frameWithout) * 30 + rebuild * 10
        let uiShare = frameWithInspector * 30 + rebuild * 10
        print(String(format: "UI thread CPU per frame: %.3f ms with the inspector, %.3f ms without; inspector rebuild %.3f ms; "
                     + "inspector share of one core while streaming: %.2f%%, whole UI: %.2f%%",
                     frameWithInspector * 1000, frameWithout * 1000, rebuild * 1000, inspectorShare * 100, uiShare * 100))
        #expect(uiShare < 0.05, "the UI thread needs \(uiShare * 100)% of a core while streaming")
    }
}
