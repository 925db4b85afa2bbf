import Testing
@testable import TUI

/// Strings that try to take over a terminal: clipboard write (OSC 52), clear screen, cursor
/// moves, colour changes, 8-bit CSI, title change, bell, backspace, carriage return, bidi override.
let hostileStrings = [
    "\u{1b}]52;c;cHduZWQ=\u{07}",
    "\u{1b}[2J\u{1b}[H",
    "\u{1b}[31mred\u{1b}[0m",
    "\u{9b}6n",
    "\u{1b}]0;owned title\u{1b}\\",
    "bell\u{07} back\u{08}space del\u{7f}",
    "x\ry",
    "\u{202e}txet desrever\u{202c}",
    "nul\u{0}byte",
]

func isSafeForTerminal(_ s: String) -> Bool {
    s.unicodeScalars.allSatisfy { v in
        v == "\n" || v == "\t" || !(v.value < 0x20 || (0x7F...0x9F).contains(v.value) || (0x202A...0x202E).contains(v.value))
    }
}

@Suite struct VisibleTextTests {
    @Test func controlCharactersBecomeVisibleEscapes() {
        #expect(VisibleText.escaped("a\u{1b}[2Jb") == "a^[[2Jb")
        #expect(VisibleText.escaped("\u{1b}]52;c;x\u{07}") == "^[]52;c;x^G")
        #expect(VisibleText.escaped("\u{9b}31m") == "\\x9b31m")
        #expect(VisibleText.escaped("del\u{7f}") == "del^?")
        #expect(VisibleText.escaped("\u{202e}abc") == "<U+202E>abc")
        #expect(VisibleText.escaped("one\r\ntwo\rthree") == "one\ntwo^Mthree")
        #expect(VisibleText.escaped("tab\tstays\nnewline") == "tab\tstays\nnewline")
        #expect(VisibleText.escaped("a\nb", keepNewlines: false) == "a^Jb")
    }

    @Test func hostileStringsNeverReachTheFrameRaw() {
        for hostile in hostileStrings {
            #expect(isSafeForTerminal(VisibleText.escaped(hostile)), "escaped: \(hostile.debugDescription)")
            var frame = Frame(width: 60, height: 2)
            frame.write(hostile, style: .assistantText, row: 0, column: 0)
            for x in 0..<frame.width {
                #expect(isSafeForTerminal(frame[0, x].text), "cell \(x) of \(hostile.debugDescription)")
            }
            let paragraphs = VisibleText.paragraphs([(hostile, .assistantText)])
            for cell in paragraphs.flatMap({ $0 }) { #expect(isSafeForTerminal(cell.text)) }
        }
    }

    @Test func escapesAreStyledAsEscapes() {
        let cells = VisibleText.lineCells("a\u{1b}b", style: .assistantText)
        #expect(cells.map(\.text).joined() == "a^[b")
        #expect(cells.map(\.style) == [.assistantText, .escape, .escape, .assistantText])
    }

    @Test func clustersAreCellsWithTheirWidth() {
        let cells = VisibleText.lineCells("e\u{301}日🎉x", style: .plain)
        #expect(cells.map(\.width) == [1, 2, 2, 1])
        #expect(cells[0].text == "e\u{301}")
        // A lone combining mark gets a base so it cannot merge into the previous cell.
        let lone = VisibleText.lineCells("\u{301}", style: .plain)
        #expect(lone.count == 1 && lone[0].width == 1)
        // A ZWJ sequence wider than two columns is laid out scalar by scalar (as the terminal does).
        let family = VisibleText.lineCells("👩\u{200d}👩\u{200d}👧", style: .plain)
        #expect(family.map(\.width) == [2, 2, 2])
    }

    @Test func tabsBecomeSpaces() {
        let cells = VisibleText.lineCells("a\tb", style: .plain)
        #expect(cells.map(\.text).joined() == "a    b")
    }
}
