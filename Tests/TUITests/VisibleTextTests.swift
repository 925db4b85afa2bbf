import Testing
@testable import TUI

@Suite struct VisibleTextTests {
    @Test func escapeBecomesCaret() {
        #expect(VisibleText.escaped("a\u{1b}[2Jb") == "a^[[2Jb")
    }
}
