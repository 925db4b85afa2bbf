import Foundation
import Inference
import Testing
@testable import TUI

@MainActor
@Suite struct ChatControllerTests {
    @Test func answerIsShownWithDraftHighlighting() async {
        let h = ChatHarness(width: 80, height: 30)
        await h.send("What is BiTA?")
        let answer = h.controller.conversation.turns[1]
        #expect(answer.role == .assistant && !answer.text.isEmpty)
        #expect(h.screen.text.contains("What is BiTA?"))
        // Every accepted-draft character is drawn in its depth's style, in order.
        let expected = answer.tokens.filter { $0.depth > 0 }.flatMap { t in t.text.filter { $0 != " " }.map { "\($0)\(t.depth)" } }
        #expect(!expected.isEmpty)
        #expect(h.draftCharacters == expected)
        // Autoregressive/bonus tokens are plain.
        let plain = answer.tokens.first { $0.depth == 0 && $0.text.count > 2 }!
        let styles = h.screen.styles(of: plain.text.trimmingCharacters(in: .whitespaces))
        #expect(styles?.contains(.assistantText) == true)
    }

    @Test func highlightedSpansSurviveResize() async {
        let h = ChatHarness(width: 100, height: 60)
        await h.send("tell me something")
        let wide = h.draftCharacters
        #expect(!wide.isEmpty)
        for (w, height) in [(37, 60), (24, 80), (20, 120), (100, 60)] {
            h.resize(w, height)
            #expect(h.draftCharacters == wide, "width \(w)")
        }
    }

    @Test func highlightToggleRemovesAndRestoresDraftStyles() async {
        let h = ChatHarness(width: 160, height: 24)
        await h.send("hello")
        #expect(!h.draftCharacters.isEmpty)
        h.press(.function(2)); h.draw()
        #expect(h.draftCharacters.isEmpty)
        #expect(h.statusLine?.contains("hl off") == true)
        await h.send("/highlight on")
        #expect(!h.draftCharacters.isEmpty)
    }

    @Test func statusBarReportsModelModeSpeedAndContext() async {
        let backend = ScriptedChatBackend(stepDelay: .milliseconds(1))
        let h = ChatHarness(width: 160, height: 20, backend: backend)
        h.draw()
        let idle = h.statusLine ?? ""
        #expect(idle.contains("BiTA") && idle.contains("ready") && idle.contains("demo (scripted)"))
        #expect(idle.contains("ctx 0/2048"))
        await h.send("Why is the sky blue?")
        let status = h.statusLine ?? ""
        let stats = h.controller.conversation.turns[1].stats!
        let context = backend.tokenCount(of: h.controller.conversation.messages())
        #expect(status.contains("ctx \(context)/2048"))
        #expect(status.contains(String(format: "τ %.2f", stats.tau)))
        #expect(status.contains(String(format: "%.1f tok/s", stats.tokensPerSecond)))
        // No plain step timed yet: no speedup claimed (τ is not one).
        #expect(!status.contains("x vs AR") && !status.contains("est"))
        for key in ["F1 help", "F2 hl on", "F3 drafts", "^D quit"] { #expect(status.contains(key), "\(key)") }
        // Narrow: the most important segments stay.
        h.resize(30, 10)
        let narrow = h.statusLine ?? ""
        #expect(narrow.contains("BiTA") && narrow.contains("ready"))
        #expect(!narrow.contains("F3 drafts"))
    }

    @Test func measuredSpeedupAppearsAfterAnARAnswer() async {
        let h = ChatHarness(width: 160, height: 20, backend: ScriptedChatBackend(stepDelay: .milliseconds(2)))
        await h.send("/mode ar")
        await h.send("first question")
        #expect(h.controller.conversation.turns[1].tokens.allSatisfy { $0.depth == 0 })
        await h.send("/mode bita")
        await h.send("second question")
        #expect(h.statusLine?.contains("x vs AR") == true)
    }

    /// Speedup = tokens × plain-step time / time of the answer's steps, by hand.
    @Test func speedupEstimateWeighsTokensByStepCost() {
        func step(_ accepted: Int, rows: Int, ms: Double) -> StepSummary {
            StepSummary(index: 0, candidatesByDepth: [], acceptedDrafts: accepted, bonusText: "", batchSize: rows, milliseconds: ms)
        }
        var e = SpeedupEstimator()
        e.beginAnswer()
        for _ in 0..<3 { e.observe(step(0, rows: 1, ms: 10)) }
        #expect(e.estimate == nil, "three plain steps are not enough to time one")
        e.observe(step(0, rows: 1, ms: 10))
        #expect(e.estimate == 1.0)
        // A BiTA answer: 2 steps of 7 rows at 20 ms emitting 3 and 1 tokens: 4 × 10 / 40 = 1.0;
        // then a step at 20 ms emitting 4: 8 × 10 / 60.
        e.beginAnswer()
        e.observe(step(2, rows: 7, ms: 20))
        e.observe(step(0, rows: 7, ms: 20))
        #expect(e.estimate == 1.0)
        e.observe(step(3, rows: 7, ms: 20))
        #expect(abs(e.estimate! - 80.0 / 60.0) < 1e-12)
        // tau 1.33 at twice the cost: slower than plain, and the estimate says so.
        e.beginAnswer()
        for accepted in [1, 0, 0] { e.observe(step(accepted, rows: 7, ms: 20)) }
        #expect(abs(e.estimate! - 40.0 / 60.0) < 1e-12)
    }

    @Test func streamingIsVisibleAndCtrlCKeepsThePartialAnswer() async throws {
        let h = ChatHarness(width: 80, height: 30, backend: ScriptedChatBackend(stepDelay: .milliseconds(10)))
        h.type("tell me a long story")
        h.press(.enter)
        // Wait until some of the answer has arrived.
        for _ in 0..<500 where (h.controller.conversation.turns.last?.tokens.count ?? 0) < 20 {
            h.controller.processEvents()
            try await Task.sleep(for: .milliseconds(5))
        }
        h.draw()
        #expect(h.controller.isGenerating)
        #expect(h.statusLine?.contains("answering") == true)
        #expect(h.screen.text.contains("▌"))
        // Typing while streaming is echoed.
        h.type("next")
        h.draw()
        #expect(h.screen.text.contains("› next"))
        h.press(.control("c"))
        h.draw()
        let partial = h.controller.conversation.turns[1]
        #expect(partial.interrupted)
        #expect(!partial.text.isEmpty && partial.text.count < ScriptedChatBackend.longStory.count)
        #expect(h.screen.text.contains("[interrupted]"))
        #expect(!h.controller.isGenerating)
        // Events that were still queued for the stopped answer change nothing.
        let frozen = h.controller.conversation.turns[1].text
        try await Task.sleep(for: .milliseconds(50))
        h.controller.processEvents()
        #expect(h.controller.conversation.turns[1].text == frozen)
        // Keep chatting: the typed text is still there.
        h.press(.control("a"), .control("k"))
        await h.send("and now?")
        #expect(h.controller.conversation.turns.count == 4)
        #expect(h.controller.conversation.turns[3].finishReason == .endOfTurn)
        #expect(h.controller.conversation.messages().map(\.content).contains(partial.text))
    }

    @Test func escapeAlsoInterrupts() async throws {
        let h = ChatHarness(backend: ScriptedChatBackend(stepDelay: .milliseconds(10)))
        h.type("long story please")
        h.press(.enter)
        try await Task.sleep(for: .milliseconds(100))
        h.press(.escape)
        #expect(h.controller.conversation.turns[1].interrupted)
    }

    @Test func hostileAnswerIsShownEscaped() async {
        let h = ChatHarness(width: 100, height: 30)
        await h.send("show me hostile text")
        let text = h.screen.text
        #expect(text.contains("^[]52;c;"))
        #expect(text.contains("^[[2J"))
        #expect(text.contains("\\x9b6n"))
        #expect(text.contains("<U+202E>"))
        for c in h.cells { #expect(isSafeForTerminal(c.text)) }
        #expect(h.cells.contains { $0.style == .escape })
    }

    @Test func hostileUserInputIsShownEscaped() async {
        let h = ChatHarness(width: 100, height: 30)
        h.press(.pasteBegin)
        for c in "evil \u{1b}[2J title\u{1b}]0;x\u{07}" { h.press(c == "\u{1b}" ? .escape : .character(c)) }
        h.press(.pasteEnd)
        h.draw()
        #expect(h.screen.text.contains("evil ^[[2J title^[]0;x^G"))
        for c in h.cells { #expect(isSafeForTerminal(c.text)) }
    }

    @Test func wideTextLaysOutByDisplayWidth() async {
        let h = ChatHarness(width: 30, height: 40)
        await h.send("something wide")
        for y in 0..<h.screen.frame.height {
            var columns = 0
            for x in 0..<h.screen.frame.width { columns += Int(h.screen.frame[y, x].width) }
            #expect(columns == 30, "row \(y) covers \(columns) columns")
        }
        #expect(h.screen.text.contains("日本語"))
    }

    @Test func tinyAndHugeTerminals() async {
        let h = ChatHarness(width: 20, height: 6)
        await h.send("hello")
        #expect(h.statusLine?.contains("BiTA") == true)
        #expect(!h.screen.text.contains("too small"))
        h.resize(300, 100)
        #expect(h.screen.text.contains("hello"))
        h.press(.function(3)); h.press(.function(1)); h.draw()
        #expect(h.screen.text.contains("bita-chat help"))
        h.press(.character("x"))
        for (w, height) in [(19, 6), (20, 4), (10, 3), (1, 1), (0, 0)] {
            h.resize(w, height)
            if w * height > 0 { #expect(h.screen.text.contains("Term") || h.screen.text.contains("T"), "\(w)x\(height)") }
        }
        h.resize(19, 6)
        #expect(h.screen.text.contains("too small"))
        h.resize(80, 24)
        #expect(h.screen.text.contains("hello"))
    }

    @Test func inspectorShowsTreeBarsAndSparkline() async {
        let h = ChatHarness(width: 110, height: 30)
        h.press(.function(3))
        await h.send("tell me a long story")
        let text = h.screen.text
        #expect(text.contains("Draft inspector"))
        #expect(text.contains("acceptance per depth"))
        #expect(text.contains("accepted drafts per step"))
        #expect(h.cells.contains { if case .acceptanceBar = $0.style { return $0.text == "█" } else { return false } })
        #expect(h.cells.contains { $0.style == .sparkline })
        let steps = h.controller.conversation.turns[1].stats!.steps
        #expect(text.contains("over \(steps) steps"))
        // Narrow and short: no room, said so.
        h.resize(50, 12)
        #expect(h.screen.text.contains("needs a larger terminal"))
        // Narrow but tall: below the pane.
        h.resize(50, 40)
        #expect(h.screen.text.contains("Draft inspector"))
    }

    @Test func inspectorShowsAcceptedAndRejectedCandidatesLive() async throws {
        let h = ChatHarness(width: 120, height: 30, backend: ScriptedChatBackend(stepDelay: .milliseconds(5)))
        h.press(.function(3))
        h.type("long story")
        h.press(.enter)
        for _ in 0..<400 where h.controller.inspector.lastStep == nil || h.controller.inspector.lastStep!.acceptedDrafts == 0 {
            h.controller.processEvents()
            try await Task.sleep(for: .milliseconds(5))
        }
        // Stop here (later events are ignored), let the inspector's refresh interval pass, draw.
        h.controller.interruptAnswer()
        #expect(h.controller.inspector.lastStep?.acceptedDrafts ?? 0 > 0)
        try await Task.sleep(for: .milliseconds(150))
        h.draw()
        #expect(h.cells.contains { if case .inspectorAccepted = $0.style { return $0.text == "✓" } else { return false } })
        #expect(h.cells.contains { $0.style == .inspectorRejected && $0.text == "✗" })
        #expect(h.screen.text.contains("bonus"))
    }

    @Test func commandsChangeSettingsModeSystemPromptAndClear() async {
        let h = ChatHarness(width: 120, height: 40)
        await h.send("/set temperature 0.7")
        await h.send("/set top_p 0.9")
        await h.send("/set top_k 40")
        await h.send("/set seed 42")
        await h.send("/set max_tokens 5")
        let s = h.controller.settings
        #expect(s.temperature == 0.7 && s.topP == 0.9 && s.topK == 40 && s.seed == 42 && s.maxTokens == 5)
        await h.send("/set top_p 2")
        #expect(h.controller.notices.last?.isError == true)
        #expect(h.controller.settings.topP == 0.9)
        await h.send("/system Answer in French.")
        #expect(h.controller.conversation.messages().first == ChatMessage(role: .system, content: "Answer in French."))
        await h.send("short one")
        #expect(h.controller.conversation.turns[1].tokens.count == 5)
        #expect(h.controller.conversation.turns[1].finishReason == .maxTokens)
        #expect(h.screen.text.contains("max_tokens"))
        await h.send("/mode ar")
        #expect(h.controller.settings.mode == .ar)
        await h.send("/stats")
        #expect(h.controller.notices.last?.text.contains("tau") == true)
        await h.send("/frobnicate")
        #expect(h.controller.notices.last?.text.contains("unknown command") == true)
        await h.send("//not a command")
        #expect(h.controller.conversation.turns.last(where: { $0.role == .user })?.text == "/not a command")
        await h.send("/clear")
        #expect(h.controller.conversation.turns.isEmpty)
        #expect(h.controller.conversation.systemPrompt == "Answer in French.")
        h.press(.control("d"))
        #expect(h.controller.quitRequested)
    }

    @Test func helpOverlayOpensWithF1OrQuestionMarkAndAnyKeyCloses() {
        let h = ChatHarness(width: 100, height: 36)
        h.press(.character("?")); h.draw()
        #expect(h.screen.text.contains("bita-chat help"))
        #expect(h.screen.text.contains("/set name value"))
        h.press(.character("a")); h.draw()
        #expect(!h.screen.text.contains("bita-chat help"))
        #expect(h.controller.inputText.isEmpty)   // the closing key is not typed
        h.type("a?"); h.draw()
        #expect(h.controller.inputText == "a?")   // "?" inside a message is just a character
        h.press(.function(1)); h.draw()
        #expect(h.screen.text.contains("bita-chat help"))
    }

    @Test func contextWindowPolicyDropsOldestTurnsAndKeepsSystemPrompt() async {
        let backend = ScriptedChatBackend(stepDelay: .zero, contextLength: 200)
        let h = ChatHarness(width: 100, height: 40, backend: backend,
                            configuration: ChatConfiguration(systemPrompt: "Be brief."))
        for i in 1...5 { await h.send("question number \(i)") }
        let c = h.controller.conversation
        #expect(c.firstTurnInContext > 0)
        #expect(c.turns.count == 10)
        let sent = c.messages()
        #expect(sent.first == ChatMessage(role: .system, content: "Be brief."))
        #expect(sent.contains { $0.content == "question number 5" })
        #expect(!sent.contains { $0.content == "question number 1" })
        #expect(backend.tokenCount(of: Array(sent.dropLast())) <= 200)
        #expect(h.controller.notices.contains { $0.text.contains("Context window full") })
        // The dropped turns are still on screen (scroll up) and in the conversation.
        #expect(c.turns[0].text == "question number 1")
    }

    @Test func messageLargerThanTheContextIsRefusedAndGivenBack() async {
        let h = ChatHarness(backend: ScriptedChatBackend(stepDelay: .zero, contextLength: 100))
        let huge = String(repeating: "word ", count: 200)
        await h.send(huge)
        #expect(h.controller.conversation.turns.isEmpty)
        #expect(h.controller.inputText == huge)
        #expect(h.controller.notices.last?.isError == true)
    }

    @Test func scrollingWithPageKeys() async {
        let h = ChatHarness(width: 60, height: 12)
        await h.send("tell me a long story")
        #expect(!h.screen.text.contains("tell me a long story"))
        for _ in 0..<100 { h.press(.pageUp) }
        h.draw()
        #expect(h.screen.text.contains("tell me a long story"))
        #expect(h.screen.text.contains("more lines"))
        for _ in 0..<100 { h.press(.pageDown) }
        h.draw()
        #expect(!h.screen.text.contains("more lines"))
    }
}
