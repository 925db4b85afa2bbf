import Foundation

/// The interactive chat: one loop on the main actor that reads every waiting key, applies the
/// decoder events queued since the last tick, and draws when something changed. Key echo is
/// drawn at once; frames caused by anything else (streaming) are capped at ~30 per second.
@MainActor
enum TerminalChatApp {
    static let streamingFrameInterval = Duration.milliseconds(33)
    /// Poll period while idle; bounds key-echo latency.
    static let pollInterval = Duration.milliseconds(4)
    /// Keys handled per tick, so a huge paste still lets frames through.
    static let keysPerTick = 8192

    /// Runs until /quit, Ctrl-D or a termination signal. Returns the process exit status.
    static func run(controller: ChatController, configuration: ChatConfiguration) async -> Int32 {
        TerminalState.installHandlers()
        let screen: CursesScreen
        do {
            screen = try CursesScreen(themeName: configuration.theme, colorEnabled: configuration.colorEnabled)
        } catch {
            FileHandle.standardError.write(Data("bita-chat: \(error)\n".utf8))
            return 1
        }
        defer { screen.end() }
        let clock = ContinuousClock()
        var lastFrame = clock.now - streamingFrameInterval
        var status: Int32 = 0

        while !controller.quitRequested {
            let signal = TerminalState.pendingSignal.load(ordering: .sequentiallyConsistent)
            if signal != 0 {
                controller.requestQuit()  // stops the answer, keeps it (interrupted), saves
                status = 128 + signal
                break
            }
            if screen.terminalHungUp {
                controller.requestQuit()
                status = 128 + SIGHUP
                break
            }
            let keys = screen.readKeys(limit: keysPerTick)
            for key in keys {
                if key == .resize { screen.invalidate() }
                controller.handle(key)
            }
            if controller.wantsFullRedraw {
                controller.wantsFullRedraw = false
                screen.invalidate(clearTerminal: true)
            }
            controller.processEvents()
            let now = clock.now
            if controller.needsRender, !keys.isEmpty || now - lastFrame >= streamingFrameInterval {
                let (frame, cursor) = controller.render(size: screen.size)
                screen.present(frame, cursor: cursor)
                lastFrame = now
            }
            if keys.count < keysPerTick {
                try? await Task.sleep(for: pollInterval)
            } else {
                await Task.yield()
            }
        }
        screen.end()
        return status
    }
}
