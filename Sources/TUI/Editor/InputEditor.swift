/// The message being typed: a multi-line buffer of grapheme clusters with a cursor, Emacs-style
/// editing keys, history, and paste handling. Pure value type; the chat feeds it keys.
struct InputEditor: Hashable {
    /// Longest message accepted, in characters. Far beyond any context window, small enough that
    /// layout stays instant; a paste that would exceed it is refused as a whole.
    static let maximumCharacters = 100_000

    enum Outcome: Hashable {
        case edited
        case unchanged
        case submit(String)
        /// A problem to show the user (e.g. a refused paste).
        case refused(String)
    }

    private(set) var buffer: [Character] = []
    /// Index into `buffer`: the cursor sits before `buffer[cursor]`.
    private(set) var cursor = 0
    private(set) var history: [String] = []
    /// Position while browsing history (nil = editing the draft).
    private var historyIndex: Int?
    private var draftBeforeHistory: [Character] = []
    private var killed: [Character] = []
    /// Between bracketed-paste markers: keys are collected, then inserted at once.
    private(set) var pasting = false
    private var pasteBuffer: [Character] = []
    private var pasteOverflow = 0
    private var limitNoticeShown = false

    var text: String { String(buffer) }
    /// Characters received so far in the paste under way.
    var pastedSoFar: Int { pasteBuffer.count + pasteOverflow }
    var isEmpty: Bool { buffer.isEmpty }

    init(text: String = "") {
        buffer = Array(text)
        cursor = buffer.count
    }

    mutating func clear() {
        buffer = []; cursor = 0; historyIndex = nil; limitNoticeShown = false
    }

    mutating func setText(_ text: String) {
        buffer = Array(text); cursor = buffer.count
    }

    mutating func handle(_ key: Key) -> Outcome {
        if pasting { return handlePaste(key) }
        switch key {
        case .character(let c): return insert([c])
        case .newline: return insert(["\n"])
        case .tab: return insert(["\t"])
        case .enter:
            let message = text
            guard !message.allSatisfy({ $0.isWhitespace }) else { return .unchanged }
            if history.last != message { history.append(message) }
            clear()
            return .submit(message)
        case .backspace:
            guard cursor > 0 else { return .unchanged }
            buffer.remove(at: cursor - 1); cursor -= 1
        case .delete:
            guard cursor < buffer.count else { return .unchanged }
            buffer.remove(at: cursor)
        case .left:
            guard cursor > 0 else { return .unchanged }
            cursor -= 1
        case .right:
            guard cursor < buffer.count else { return .unchanged }
            cursor += 1
        case .home, .control("a"):
            cursor = lineStart(of: cursor)
        case .end, .control("e"):
            cursor = lineEnd(of: cursor)
        case .control("k"):
            let end = lineEnd(of: cursor)
            // At the end of a line, Ctrl-K joins the next line (kills the newline).
            let stop = end == cursor && end < buffer.count ? end + 1 : end
            guard stop > cursor else { return .unchanged }
            killed = Array(buffer[cursor..<stop])
            buffer.removeSubrange(cursor..<stop)
        case .control("u"):
            let start = lineStart(of: cursor)
            guard start < cursor else { return .unchanged }
            killed = Array(buffer[start..<cursor])
            buffer.removeSubrange(start..<cursor)
            cursor = start
        case .control("w"), .meta("\u{7f}"):
            let start = previousWordStart(from: cursor)
            guard start < cursor else { return .unchanged }
            killed = Array(buffer[start..<cursor])
            buffer.removeSubrange(start..<cursor)
            cursor = start
        case .control("y"):
            return insert(killed)
        case .meta("b"):
            cursor = previousWordStart(from: cursor)
        case .meta("f"):
            cursor = nextWordEnd(from: cursor)
        case .up:
            if lineStart(of: cursor) == 0 { return recallHistory(older: true) }
            moveVertically(up: true)
        case .down:
            if lineEnd(of: cursor) == buffer.count { return recallHistory(older: false) }
            moveVertically(up: false)
        case .pasteBegin:
            pasting = true; pasteBuffer = []; pasteOverflow = 0
            return .unchanged
        case .pasteEnd:
            return .unchanged
        default:
            return .unchanged
        }
        return .edited
    }

    private mutating func handlePaste(_ key: Key) -> Outcome {
        let room = InputEditor.maximumCharacters - buffer.count
        func collect(_ cs: [Character]) {
            if pasteBuffer.count + cs.count <= room { pasteBuffer.append(contentsOf: cs) } else { pasteOverflow += cs.count }
        }
        switch key {
        case .pasteEnd:
            pasting = false
            defer { pasteBuffer = []; pasteOverflow = 0 }
            if pasteOverflow > 0 {
                let total = pasteBuffer.count + pasteOverflow
                return .refused("paste of \(total) characters refused: a message holds at most \(InputEditor.maximumCharacters) characters")
            }
            return insert(pasteBuffer)
        case .character(let c): collect([c])
        case .enter, .newline: collect(["\n"])
        case .tab: collect(["\t"])
        case .escape: collect(["\u{1b}"])
        case .meta(let c): collect(["\u{1b}", c])
        case .control(let c):
            // Pasted control bytes are kept (and shown escaped), not obeyed.
            if let a = c.asciiValue { collect([Character(Unicode.Scalar(a & 0x1f))]) }
        case .backspace: collect(["\u{7f}"])
        default: break
        }
        return .unchanged
    }

    private mutating func insert(_ cs: [Character]) -> Outcome {
        guard !cs.isEmpty else { return .unchanged }
        if buffer.count + cs.count > InputEditor.maximumCharacters {
            if limitNoticeShown { return .unchanged }
            limitNoticeShown = true
            return .refused("input is limited to \(InputEditor.maximumCharacters) characters; the rest was not inserted")
        }
        buffer.insert(contentsOf: cs, at: cursor)
        cursor += cs.count
        historyIndex = nil
        return .edited
    }

    private mutating func recallHistory(older: Bool) -> Outcome {
        guard !history.isEmpty else { return .unchanged }
        if older {
            let next: Int
            if let i = historyIndex { guard i > 0 else { return .unchanged }; next = i - 1 } else {
                draftBeforeHistory = buffer; next = history.count - 1
            }
            historyIndex = next
            buffer = Array(history[next])
        } else {
            guard let i = historyIndex else { return .unchanged }
            if i + 1 < history.count {
                historyIndex = i + 1
                buffer = Array(history[i + 1])
            } else {
                historyIndex = nil
                buffer = draftBeforeHistory
            }
        }
        cursor = buffer.count
        return .edited
    }

    private mutating func moveVertically(up: Bool) {
        let start = lineStart(of: cursor)
        let column = DisplayWidth.of(String(buffer[start..<cursor]))
        let targetStart: Int
        if up {
            targetStart = lineStart(of: start - 1)
        } else {
            targetStart = lineEnd(of: cursor) + 1
        }
        let targetEnd = lineEnd(of: targetStart)
        var i = targetStart, w = 0
        while i < targetEnd {
            let cw = DisplayWidth.of(buffer[i])
            if w + cw > column { break }
            w += cw; i += 1
        }
        cursor = i
    }

    func lineStart(of index: Int) -> Int {
        var i = min(max(index, 0), buffer.count)
        while i > 0, buffer[i - 1] != "\n" { i -= 1 }
        return i
    }

    func lineEnd(of index: Int) -> Int {
        var i = min(max(index, 0), buffer.count)
        while i < buffer.count, buffer[i] != "\n" { i += 1 }
        return i
    }

    private func previousWordStart(from index: Int) -> Int {
        var i = index
        while i > 0, buffer[i - 1].isWhitespace { i -= 1 }
        while i > 0, !buffer[i - 1].isWhitespace { i -= 1 }
        return i
    }

    private func nextWordEnd(from index: Int) -> Int {
        var i = index
        while i < buffer.count, buffer[i].isWhitespace { i += 1 }
        while i < buffer.count, !buffer[i].isWhitespace { i += 1 }
        return i
    }
}
