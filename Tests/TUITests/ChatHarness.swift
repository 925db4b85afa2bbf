import Foundation
import Inference
import Testing
@testable import TUI

/// A chat on an in-memory screen, driven by keys like a person would.
@MainActor
final class ChatHarness {
    let controller: ChatController
    let screen: MemoryScreen

    init(width: Int = 80, height: Int = 24, backend: any ChatBackend = ScriptedChatBackend(stepDelay: .zero),
         configuration: ChatConfiguration = ChatConfiguration(), store: TranscriptStore? = nil) {
        controller = ChatController(backend: backend, configuration: configuration, store: store)
        screen = MemoryScreen(width: width, height: height)
    }

    func type(_ s: String) { for c in s { controller.handle(.character(c)) } }
    func press(_ keys: Key...) { for k in keys { controller.handle(k) } }

    /// Types a line, presses Enter, waits for the answer (if one starts) and draws.
    func send(_ line: String) async {
        type(line)
        controller.handle(.enter)
        // Generous: on a loaded 2-core machine the main actor can wait a long time for its turn.
        let finished = await controller.waitForAnswer(timeout: .seconds(180))
        if !finished { Issue.record("answer did not finish within 180 s") }
        draw()
    }

    func draw() {
        controller.processEvents()
        let (frame, cursor) = controller.render(size: screen.size)
        screen.present(frame, cursor: cursor)
    }

    func resize(_ width: Int, _ height: Int) {
        screen.resize(width: width, height: height)
        controller.handle(.resize)
        draw()
    }

    /// Cells of the frame in row-major order.
    var cells: [Cell] {
        var out: [Cell] = []
        for y in 0..<screen.frame.height { for x in 0..<screen.frame.width { out.append(screen.frame[y, x]) } }
        return out
    }

    /// Non-space characters drawn in a draft style, with their depth, in reading order.
    var draftCharacters: [String] {
        cells.compactMap { c in
            if case .draft(let d) = c.style, c.width > 0, c.text != " " { return "\(c.text)\(d)" }
            return nil
        }
    }

    /// The status bar row (the row above the input box, whose first cell is status-styled).
    var statusLine: String? {
        for y in 0..<screen.frame.height where screen.frame[y, 0].style == .statusBar {
            return screen.frame.text(row: y)
        }
        return nil
    }
}

/// A scratch directory removed at the end of a test.
final class TemporaryDirectory {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "bita-tui-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

func fileMode(_ path: String) -> Int? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return Int(st.st_mode & 0o777)
}
