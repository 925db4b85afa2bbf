import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Scriptable mode, used when stdin or stdout is not a terminal: each input line is a message
/// (or a /command), each answer is written to stdout as it streams, followed by a newline.
/// Notices go to stderr. When stdout is a terminal, control characters are shown as escapes.
@MainActor
enum PlainChat {
    static func run(controller: ChatController, escapeOutput: Bool) async -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGXFSZ, SIG_IGN)
        controller.noticeHandler = { notice in
            let text = VisibleText.escaped(notice.text)
            _ = writeAll(STDERR_FILENO, (notice.isError ? "bita-chat: error: " : "bita-chat: ") + text + "\n")
        }
        while !controller.quitRequested, let line = readLine(strippingNewline: true) {
            if line.allSatisfy({ $0.isWhitespace }) { continue }
            controller.submit(line)
            guard controller.isGenerating else { continue }
            let answerIndex = controller.conversation.turns.count - 1
            var printed = 0
            var outputOpen = true
            _ = await controller.waitForAnswer(timeout: .seconds(24 * 3600)) {
                let tokens = controller.conversation.turns[answerIndex].tokens
                guard outputOpen, printed < tokens.count else { return }
                let text = tokens[printed...].map(\.text).joined()
                printed = tokens.count
                outputOpen = writeAll(STDOUT_FILENO, escapeOutput ? VisibleText.escaped(text) : text)
                if !outputOpen { controller.interruptAnswer() }
            }
            guard outputOpen, writeAll(STDOUT_FILENO, "\n") else { return 0 }
        }
        return 0
    }

    /// Writes everything or reports failure (EPIPE when the reader went away).
    static func writeAll(_ fd: Int32, _ s: String) -> Bool {
        var bytes = Array(s.utf8)
        return bytes.withUnsafeMutableBytes { raw -> Bool in
            guard var p = raw.baseAddress else { return true }
            var left = raw.count
            while left > 0 {
                let n = write(fd, p, left)
                if n < 0 { if errno == EINTR { continue }; return false }
                left -= n; p += n
            }
            return true
        }
    }
}
