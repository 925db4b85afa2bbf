import Foundation
import Inference

/// Entry point of the chat: the curses UI when stdin and stdout are terminals, otherwise the
/// plain line-by-line mode.
public enum ChatRunner {
    @MainActor
    public static func run(backend: any ChatBackend, configuration: ChatConfiguration) async -> Int32 {
        var configuration = configuration
        if let noColor = ProcessInfo.processInfo.environment["NO_COLOR"], !noColor.isEmpty {
            configuration.colorEnabled = false
        }
        let store = configuration.autosave ? TranscriptStore(directory: configuration.transcriptDirectory) : nil
        let controller = ChatController(backend: backend, configuration: configuration, store: store)
        if isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 {
            return await TerminalChatApp.run(controller: controller, configuration: configuration)
        }
        return await PlainChat.run(controller: controller, escapeOutput: isatty(STDOUT_FILENO) == 1)
    }
}
