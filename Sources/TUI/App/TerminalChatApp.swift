import Foundation

/// The interactive chat: one loop on the main actor that reads every waiting key, applies the
/// decoder events queued since the last tick, and draws when something changed. Key echo is
/// drawn at once; frames caused by anything else (streaming) are capped at ~30 per second.
/// Between ticks the loop sleeps in poll(2) on the keyboard and the decoder's wake pipe, so a
/// key or an event wakes it at once and an idle chat costs no CPU.
@MainActor
enum TerminalChatApp {
    static let streamingFrameInterval = Duration.milliseconds(33)
    /// Longest sleep with nothing to do: bounds how late a resize or a termination signal that
    /// did not interrupt poll(2) is noticed.
    static let idleWakeInterval = Duration.milliseconds(100)
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
                // A frame held back by the 30-per-second cap is due at lastFrame + interval.
                let wait = controller.needsRender ? max(.milliseconds(1), streamingFrameInterval - (clock.now - lastFrame)) : idleWakeInterval
                waitForInput(descriptors: [STDIN_FILENO, controller.eventWakeDescriptor], timeout: wait)
            }
            await Task.yield()
        }
        screen.end()
        return status
    }

    /// Sleeps until one of `descriptors` is readable (or hung up), a signal arrives, or `timeout`.
    static func waitForInput(descriptors: [Int32], timeout: Duration) {
        var fds = descriptors.filter { $0 >= 0 }.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let (seconds, attoseconds) = timeout.components
        let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        _ = poll(&fds, nfds_t(fds.count), max(1, milliseconds))
    }
}
