import Testing
@testable import TUI
@Suite struct TUIPlaceholderTests { @Test func loads() { #expect(TerminalError.cannotInitialize.description.contains("terminal")) } }
