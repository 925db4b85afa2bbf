import Foundation
import Testing
@testable import TUI

@Suite struct DisplayWidthTests {
    @Test func asciiCJKEmojiAndCombiningMarks() {
        #expect(DisplayWidth.of("hello") == 5)
        #expect(DisplayWidth.of("日本語") == 6)
        #expect(DisplayWidth.of("한국") == 4)
        #expect(DisplayWidth.of("🎉") == 2)
        #expect(DisplayWidth.of(Character("e\u{301}")) == 1)   // e + combining acute
        #expect(DisplayWidth.of("n\u{303}o") == 2)
        #expect(DisplayWidth.of("ｆｕｌｌ") == 8)                 // fullwidth Latin
    }

    /// The embedded table must agree with the C library's wcwidth (what ncurses and tmux use)
    /// for every printable scalar.
    @Test func tableMatchesSystemWcwidth() throws {
        let previous = String(cString: setlocale(LC_CTYPE, nil))
        guard setlocale(LC_CTYPE, "C.UTF-8") != nil else {
            Issue.record("C.UTF-8 locale unavailable; cannot compare with wcwidth")
            return
        }
        defer { setlocale(LC_CTYPE, previous) }
        var mismatches: [String] = []
        var checked = 0
        for v in UInt32(0xA0)...0x10FFFF {
            guard let s = Unicode.Scalar(v) else { continue }
            let system = DisplayWidth.system(s)
            guard system >= 0 else { continue }  // unassigned or control: not in the table's scope
            checked += 1
            if system != DisplayWidth.of(s), mismatches.count < 10 {
                mismatches.append(String(format: "U+%04X table %d wcwidth %d", v, DisplayWidth.of(s), system))
            }
        }
        #expect(checked > 100_000)
        #expect(mismatches.isEmpty, "\(mismatches)")
    }
}
