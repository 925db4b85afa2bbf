import Testing
@testable import TUI

@Suite struct InputEditorTests {
    func type(_ s: String, into e: inout InputEditor) {
        for c in s { _ = e.handle(.character(c)) }
    }

    @Test func typingMovingAndDeleting() {
        var e = InputEditor()
        type("helo wrld", into: &e)
        for _ in 0..<6 { _ = e.handle(.left) }
        _ = e.handle(.character("l"))
        #expect(e.text == "hello wrld")
        _ = e.handle(.end)
        for _ in 0..<3 { _ = e.handle(.left) }
        _ = e.handle(.character("o"))
        #expect(e.text == "hello world")
        _ = e.handle(.home)
        _ = e.handle(.delete)
        _ = e.handle(.character("H"))
        #expect(e.text == "Hello world")
        _ = e.handle(.end)
        _ = e.handle(.backspace)
        #expect(e.text == "Hello worl")
        #expect(e.cursor == e.buffer.count)
    }

    @Test func emacsKillAndYank() {
        var e = InputEditor(text: "one two three")
        _ = e.handle(.control("w"))
        #expect(e.text == "one two ")
        _ = e.handle(.control("a"))
        #expect(e.cursor == 0)
        _ = e.handle(.control("k"))
        #expect(e.text == "")
        _ = e.handle(.control("y"))
        #expect(e.text == "one two ")
        _ = e.handle(.control("e"))
        type("x", into: &e)
        _ = e.handle(.left)
        _ = e.handle(.control("u"))
        #expect(e.text == "x")
        #expect(e.cursor == 0)
    }

    @Test func unicodeIsEditedByGraphemeCluster() {
        var e = InputEditor()
        type("日本e\u{301}🎉", into: &e)
        #expect(e.buffer.count == 4)
        _ = e.handle(.backspace)
        _ = e.handle(.backspace)
        #expect(e.text == "日本")
    }

    @Test func multiLineEditingAndVerticalMovement() {
        var e = InputEditor()
        type("first line", into: &e)
        _ = e.handle(.newline)
        type("second", into: &e)
        #expect(e.text == "first line\nsecond")
        _ = e.handle(.up)           // to line 1, same column
        #expect(e.cursor == 6)
        _ = e.handle(.control("e"))
        #expect(e.cursor == 10)
        _ = e.handle(.down)         // column 10 is past "second": end of line 2
        #expect(e.cursor == e.buffer.count)
        _ = e.handle(.control("a"))
        #expect(e.cursor == 11)
        // Ctrl-K at the end of a line joins the next one.
        _ = e.handle(.up); _ = e.handle(.control("e")); _ = e.handle(.control("k"))
        #expect(e.text == "first linesecond")
    }

    @Test func enterSubmitsAndHistoryRecalls() {
        var e = InputEditor()
        type("first", into: &e)
        #expect(e.handle(.enter) == .submit("first"))
        type("second", into: &e)
        #expect(e.handle(.enter) == .submit("second"))
        #expect(e.isEmpty)
        #expect(e.handle(.enter) == .unchanged)   // empty lines are not sent
        type("draft", into: &e)
        _ = e.handle(.up)
        #expect(e.text == "second")
        _ = e.handle(.up)
        #expect(e.text == "first")
        _ = e.handle(.up)
        #expect(e.text == "first")
        _ = e.handle(.down)
        #expect(e.text == "second")
        _ = e.handle(.down)
        #expect(e.text == "draft")
    }

    @Test func bracketedPasteInsertsNewlinesInsteadOfSending() {
        var e = InputEditor()
        _ = e.handle(.pasteBegin)
        for k: Key in [.character("a"), .enter, .character("b"), .escape, .control("c")] {
            #expect(e.handle(k) == .unchanged)
        }
        #expect(e.handle(.pasteEnd) == .edited)
        #expect(e.text == "a\nb\u{1b}\u{03}")
        #expect(!e.pasting)
    }

    /// A 1 MB paste is refused as a whole with a message, quickly, and leaves the editor usable.
    @Test func megabytePasteIsRefusedWithAMessage() {
        var e = InputEditor(text: "keep me")
        let clock = ContinuousClock()
        let start = clock.now
        _ = e.handle(.pasteBegin)
        for _ in 0..<(1 << 20) { _ = e.handle(.character("x")) }
        let outcome = e.handle(.pasteEnd)
        let elapsed = clock.now - start
        guard case .refused(let message) = outcome else { Issue.record("expected refusal, got \(outcome)"); return }
        #expect(message.contains("refused"))
        #expect(e.text == "keep me")
        #expect(elapsed < .seconds(5))
        type("!", into: &e)
        #expect(e.text == "keep me!")
    }

    @Test func unbracketedFloodStopsAtTheLimitOnce() {
        var e = InputEditor()
        var refusals = 0
        for _ in 0..<(InputEditor.maximumCharacters + 50) {
            if case .refused = e.handle(.character("y")) { refusals += 1 }
        }
        #expect(e.buffer.count == InputEditor.maximumCharacters)
        #expect(refusals == 1)
    }
}
