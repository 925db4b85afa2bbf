import Testing
@testable import TUI

@Suite struct TextWrapperTests {
    func cells(_ s: String, _ style: TextStyle = .plain) -> [DisplayCell] { VisibleText.lineCells(s, style: style) }
    func text(_ lines: [[DisplayCell]]) -> [String] { lines.map { $0.map(\.text).joined() } }
    func width(_ line: [DisplayCell]) -> Int { line.reduce(0) { $0 + $1.width } }

    @Test func wrapsAtWordBoundaries() {
        let lines = TextWrapper.wrap(cells("the quick brown fox jumps over the lazy dog"), width: 10)
        #expect(text(lines) == ["the quick", "brown fox", "jumps over", "the lazy", "dog"])
    }

    @Test func splitsOnlyWordsLongerThanTheLine() {
        let lines = TextWrapper.wrap(cells("a supercalifragilistic word"), width: 8)
        #expect(text(lines) == ["a", "supercal", "ifragili", "stic", "word"])
        for l in lines { #expect(width(l) <= 8) }
    }

    @Test func emptyParagraphIsOneEmptyLine() {
        #expect(TextWrapper.wrap([], width: 5).count == 1)
        let p = VisibleText.paragraphs([("one\n\ntwo", .plain)])
        #expect(text(TextWrapper.wrap(paragraphs: p, width: 10)) == ["one", "", "two"])
    }

    @Test func wideCharactersAreNeverSplitAndFitTheWidth() {
        let s = "日本語の文章は二列を使います🎉🎉 and ascii"
        for w in 2...17 {
            let lines = TextWrapper.wrap(cells(s), width: w)
            for l in lines { #expect(width(l) <= w, "width \(w): \(text([l]))") }
            // Nothing lost except spaces at breaks.
            #expect(text(lines).joined().filter { $0 != " " } == s.filter { $0 != " " })
        }
        // Odd width: a 2-column character that does not fit moves to the next line whole.
        #expect(text(TextWrapper.wrap(cells("日本語"), width: 5)) == ["日本", "語"])
    }

    @Test func combiningMarksStayWithTheirBase() {
        let s = "cafe\u{301} cafe\u{301} cafe\u{301}"
        let lines = TextWrapper.wrap(cells(s), width: 4)
        #expect(text(lines) == ["cafe\u{301}", "cafe\u{301}", "cafe\u{301}"])
    }

    /// Highlighted spans keep their style at every width: the non-space cells of the wrapped
    /// output, read in order, carry exactly the input's styles.
    @Test func highlightedSpansSurviveWrappingAtAnyWidth() {
        let runs: [(text: String, style: TextStyle)] = [
            ("Plain words then ", .assistantText), ("drafted at depth one", .draft(depth: 1)),
            (" and ", .assistantText), ("deeper 深い drafts", .draft(depth: 3)), (" end.", .assistantText),
        ]
        let paragraph = VisibleText.paragraphs(runs)[0]
        let expected = paragraph.filter { !$0.isSpace }.map { "\($0.text)|\($0.style)" }
        for w in [3, 7, 12, 20, 80] {
            let wrapped = TextWrapper.wrap(paragraph, width: w).flatMap { $0 }
            #expect(wrapped.filter { !$0.isSpace }.map { "\($0.text)|\($0.style)" } == expected, "width \(w)")
        }
    }
}

@Suite struct FrameTests {
    @Test func wideCellsOccupyTwoColumnsAndOverwritesRepairThem() {
        var f = Frame(width: 6, height: 1)
        f.write("日本", style: .plain, row: 0, column: 0)
        #expect(f.text(row: 0) == "日本  ")
        #expect(f[0, 1].width == 0)
        // Writing over the second half of 日 blanks its first half.
        f.write("x", style: .plain, row: 0, column: 1)
        #expect(f.text(row: 0) == " x本  ")
        // A wide character that would cross the right edge becomes a space.
        f.write("語", style: .plain, row: 0, column: 5)
        #expect(f.text(row: 0) == " x本  ")
    }

    @Test func writesAreClipped() {
        var f = Frame(width: 4, height: 2)
        let used = f.write("abcdef", style: .plain, row: 1, column: 2)
        #expect(used == 2)
        #expect(f.text(row: 1) == "  ab")
        f.write("zz", style: .plain, row: 5, column: 0)
        f.write("zz", style: .plain, row: 0, column: -3)
        #expect(f.text(row: 0) == "    ")
    }
}
