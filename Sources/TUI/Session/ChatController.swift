import Foundation
import Inference

/// The chat without a terminal: conversation, settings, input editor, streaming, commands,
/// transcripts, and drawing into a `Frame`. The curses loop and the plain stdin/stdout loop both
/// drive it; tests drive it with keys and a `MemoryScreen`.
@MainActor
public final class ChatController {
    public let backend: any ChatBackend
    public private(set) var settings: GenerationSettings
    public private(set) var conversation: Conversation
    let store: TranscriptStore?
    /// Where this session autosaves (created with the first message).
    public private(set) var sessionPaths: TranscriptPaths?
    private var sessionCreated = Transcript.timestamp()

    var editor = InputEditor()
    public private(set) var highlightEnabled = true
    public private(set) var inspectorVisible = false
    public private(set) var helpVisible = false
    public private(set) var quitRequested = false
    /// Something changed since the last `render`.
    public private(set) var needsRender = true
    /// The terminal should be repainted from scratch (Ctrl-L).
    public var wantsFullRedraw = false

    private(set) var items: [PaneItem] = []
    private var nextNoticeID = 0
    /// Plain mode: notices go here (stderr) instead of the pane.
    var noticeHandler: ((Notice) -> Void)?
    private var lastSaveError: String?

    /// First pane line shown; nil follows the bottom.
    private var scrollTop: Int?
    private var lastPaneHeight = 10
    private var lastPaneLineCount = 0
    private let layoutCache = ConversationLayoutCache()

    private struct Generation {
        var id: Int
        var task: Task<Void, Never>
        var turnIndex: Int
    }
    private var generation: Generation?
    private var nextGenerationID = 1
    private let inbox = DecodeEventInbox()
    private var phase: StatusBarContent.Phase = .ready
    private(set) var inspector = DraftInspectorState()
    private var inspectorLines: (version: Int, width: Int, height: Int, at: ContinuousClock.Instant, lines: [[DisplayCell]])?
    /// Tokens of the conversation as last counted by the backend, plus tokens streamed since.
    private var contextTokens = 0
    private var lastARTokensPerSecond: Double?
    private var lastBiTATokensPerSecond: Double?
    private var speedup = SpeedupEstimator()

    public init(backend: any ChatBackend, configuration: ChatConfiguration, store: TranscriptStore?) {
        self.backend = backend
        settings = configuration.settings
        conversation = Conversation(systemPrompt: configuration.systemPrompt)
        self.store = store
        contextTokens = backend.tokenCount(of: conversation.messages())
    }

    public var isGenerating: Bool { generation != nil }
    public var inputText: String { editor.text }

    // MARK: Keys

    public func handle(_ key: Key) {
        needsRender = true
        if editor.pasting { apply(editor.handle(key)); return }
        if helpVisible {
            if key != .resize { helpVisible = false }
            return
        }
        switch key {
        case .resize:
            break
        case .control("c"):
            if isGenerating { interruptAnswer() } else if !editor.isEmpty { editor.clear() } else {
                notice("Ctrl-D or /quit leaves the chat.")
            }
        case .escape:
            if isGenerating { interruptAnswer() }
        case .control("d"):
            if editor.isEmpty { requestQuit() } else { apply(editor.handle(.delete)) }
        case .function(1):
            helpVisible = true
        case .character("?") where editor.isEmpty:
            helpVisible = true
        case .function(2):
            toggleHighlight(nil)
        case .function(3):
            inspectorVisible.toggle()
        case .pageUp:
            scroll(by: -(max(1, lastPaneHeight - 1)))
        case .pageDown:
            scroll(by: max(1, lastPaneHeight - 1))
        case .control("l"):
            wantsFullRedraw = true
        default:
            apply(editor.handle(key))
        }
    }

    private func apply(_ outcome: InputEditor.Outcome) {
        switch outcome {
        case .edited, .unchanged: break
        case .submit(let line): submit(line)
        case .refused(let why): notice(why, isError: true)
        }
    }

    private func scroll(by lines: Int) {
        let maxTop = max(0, lastPaneLineCount - lastPaneHeight)
        let current = scrollTop ?? maxTop
        let next = min(max(0, current + lines), maxTop)
        scrollTop = next >= maxTop ? nil : next
    }

    // MARK: Messages and commands

    /// A line from the input box or from stdin: a command or a message.
    public func submit(_ line: String) {
        needsRender = true
        if let parsed = SlashCommand.parse(line) {
            switch parsed {
            case .success(let command): run(command)
            case .failure(let error): notice(error.description, isError: true)
            }
            return
        }
        let text = line.hasPrefix("//") ? String(line.dropFirst()) : line
        send(text)
    }

    private func send(_ text: String) {
        guard generation == nil else {
            notice("An answer is still streaming: press Esc or Ctrl-C to stop it first.", isError: true)
            editor.setText(text)
            return
        }
        let userIndex = conversation.turns.count
        conversation.turns.append(ChatTurn(role: .user, text: text))
        let policy = ContextWindowPolicy(contextLength: backend.description.contextLength, maxTokens: settings.maxTokens)
        guard let keep = policy.firstTurnToKeep(conversation, tokenCount: backend.tokenCount(of:)) else {
            conversation.turns.removeLast()
            let needed = backend.tokenCount(of: [ChatMessage(role: .user, content: text)])
            notice("That message is too long for the model's context window (about \(needed) tokens; at most \(policy.budget) fit with room for the answer). It was not sent; it is back in the input box.", isError: true)
            editor.setText(text)
            return
        }
        items.append(.turn(userIndex))
        if keep > conversation.firstTurnInContext {
            let dropped = keep - conversation.firstTurnInContext
            conversation.firstTurnInContext = keep
            notice("Context window full (\(backend.description.contextLength) tokens): the oldest \(dropped) message\(dropped == 1 ? "" : "s") no longer reach the model. They stay on screen and in the transcript; the system prompt is kept.")
        }
        let messages = conversation.messages()
        contextTokens = backend.tokenCount(of: messages)
        var answer = ChatTurn(role: .assistant, text: "")
        answer.mode = settings.mode
        conversation.turns.append(answer)
        let answerIndex = conversation.turns.count - 1
        items.append(.turn(answerIndex))
        scrollTop = nil
        inspector.reset()
        speedup.beginAnswer()

        let id = nextGenerationID
        nextGenerationID += 1
        let stream = backend.respond(to: messages, settings: settings)
        let inbox = self.inbox
        // The consumer only queues events; the UI loop applies them (see DecodeEventInbox).
        let task = Task.detached {
            for await event in stream { inbox.post(.event(event), generation: id) }
            inbox.post(.ended, generation: id)
        }
        generation = Generation(id: id, task: task, turnIndex: answerIndex)
        phase = .prefilling
        autosave()
    }

    private func run(_ command: SlashCommand) {
        switch command {
        case .quit:
            requestQuit()
        case .help:
            if noticeHandler != nil {
                notice(SlashCommand.summary.map { "\($0.usage)  \($0.meaning)" }.joined(separator: "\n"))
            } else {
                helpVisible = true
            }
        case .highlight(let on):
            toggleHighlight(on)
        case .inspector:
            inspectorVisible.toggle()
        case .stats:
            notice(statsTable())
        case .mode(let m):
            settings.mode = m
            notice("Mode: \(m == .bita ? "BiTA (draft and verify)" : "AR (one token per step)") from the next answer.")
        case .set(let change):
            switch change {
            case .temperature(let v): settings.temperature = v
            case .topP(let v): settings.topP = v
            case .topK(let v): settings.topK = v
            case .seed(let v): settings.seed = v
            case .maxTokens(let v): settings.maxTokens = v
            }
            notice("Settings: \(SettingsText.summary(settings))")
        case .system(let text):
            guard !isGenerating else { return busy() }
            conversation.systemPrompt = text
            contextTokens = backend.tokenCount(of: conversation.messages())
            notice(text == nil ? "System prompt removed." : "System prompt set; it applies to the next answers.")
            autosave()
        case .clear:
            guard !isGenerating else { return busy() }
            conversation = Conversation(systemPrompt: conversation.systemPrompt)
            items = []
            layoutCache.removeAll()
            sessionPaths = nil
            sessionCreated = Transcript.timestamp()
            inspector.reset()
            contextTokens = backend.tokenCount(of: conversation.messages())
            notice("New conversation (the previous one stays saved).")
        case .save(let path):
            guard !isGenerating else { return busy() }
            save(to: path)
        case .load(let path):
            guard !isGenerating else { return busy() }
            load(path: path)
        }
    }

    private func busy() {
        notice("Wait for the answer to finish (or stop it with Esc/Ctrl-C) first.", isError: true)
    }

    private func toggleHighlight(_ on: Bool?) {
        highlightEnabled = on ?? !highlightEnabled
        if noticeHandler == nil {
            notice("Draft highlighting \(highlightEnabled ? "on" : "off").")
        }
    }

    public func requestQuit() {
        if isGenerating { interruptAnswer() }
        quitRequested = true
        needsRender = true
    }

    // MARK: Streaming

    /// Stops the answer being streamed; what arrived stays, marked interrupted, and is saved.
    public func interruptAnswer() {
        guard let g = generation else { return }
        g.task.cancel()
        generation = nil
        phase = .ready
        conversation.turns[g.turnIndex].interrupted = true
        conversation.turns[g.turnIndex].finishReason = .cancelled
        finishAnswer(turnIndex: g.turnIndex)
    }

    /// Readable when decoder events are waiting: the terminal loop polls it next to the keyboard.
    var eventWakeDescriptor: Int32 { inbox.wake.readDescriptor }

    /// Applies every event that arrived since the last call. Returns true if anything changed.
    @discardableResult
    public func processEvents() -> Bool {
        let entries = inbox.drain()
        var changed = false
        for (id, entry) in entries {
            guard let g = generation, g.id == id else { continue }
            changed = true
            let i = g.turnIndex
            switch entry {
            case .event(.prefilled):
                phase = .answering
            case .event(.token(let token)):
                phase = .answering
                conversation.turns[i].append(token)
                contextTokens += 1
            case .event(.step(let step)):
                inspector.record(step)
                speedup.observe(step)
            case .event(.stats(let stats)):
                conversation.turns[i].stats = stats
                inspector.record(stats)
            case .event(.finished(let reason, let stats)):
                conversation.turns[i].stats = stats
                conversation.turns[i].finishReason = reason
                if reason == .cancelled { conversation.turns[i].interrupted = true }
                inspector.record(stats)
                endGeneration(turnIndex: i)
                switch reason {
                case .maxTokens:
                    notice("The answer reached max_tokens (\(settings.maxTokens)); /set max_tokens N allows longer answers.")
                case .contextFull:
                    notice("The answer filled the context window; the next message will drop the oldest turns.")
                case .endOfTurn, .cancelled:
                    break
                }
            case .event(.failed(let message)):
                conversation.turns[i].failure = message
                endGeneration(turnIndex: i)
                notice("The answer failed: \(message)", isError: true)
            case .ended:
                endGeneration(turnIndex: i)
            }
        }
        if changed { needsRender = true }
        return changed
    }

    private func endGeneration(turnIndex: Int) {
        guard generation?.turnIndex == turnIndex else { return }
        generation = nil
        phase = .ready
        finishAnswer(turnIndex: turnIndex)
    }

    private func finishAnswer(turnIndex: Int) {
        let turn = conversation.turns[turnIndex]
        if let tps = turn.stats?.tokensPerSecond, tps > 0, !turn.interrupted, (turn.stats?.newTokens ?? 0) >= 8 {
            if turn.mode == .ar { lastARTokensPerSecond = tps } else { lastBiTATokensPerSecond = tps }
        }
        contextTokens = backend.tokenCount(of: conversation.messages())
        needsRender = true
        autosave()
    }

    /// Waits (polling the inbox) until the current answer ends; for plain mode and tests.
    public func waitForAnswer(timeout: Duration = .seconds(60), onProgress: (() -> Void)? = nil) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while isGenerating {
            processEvents()
            onProgress?()
            if clock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(2))
        }
        processEvents()
        onProgress?()
        return true
    }

    // MARK: Notices

    func notice(_ text: String, isError: Bool = false) {
        let n = Notice(id: nextNoticeID, text: text, isError: isError)
        nextNoticeID += 1
        needsRender = true
        if let noticeHandler { noticeHandler(n); return }
        items.append(.notice(n))
        scrollTop = nil
    }

    /// Notices in the pane, oldest first (tests and screenshots).
    public var notices: [Notice] {
        items.compactMap { if case .notice(let n) = $0 { return n } else { return nil } }
    }

    private func statsTable() -> String {
        var rows = ["turn mode  tokens steps   tau   tok/s  accepted per depth"]
        var n = 0
        for turn in conversation.turns where turn.role == .assistant {
            n += 1
            guard let s = turn.stats else { continue }
            var rates: [String] = []
            for d in 0..<s.proposedPerDepth.count {
                rates.append(s.acceptRate(depth: d + 1).map { "\(Int(($0 * 100).rounded()))%" } ?? "-")
            }
            let mode = turn.mode == .ar ? "AR" : "BiTA"
            let numbers = String(format: "%6d %5d %5.2f %7.1f", s.newTokens, s.steps, s.tau, s.tokensPerSecond)
            let turnText = String(n)
            rows.append(String(repeating: " ", count: max(0, 4 - turnText.count)) + turnText + " "
                        + mode.padding(toLength: 5, withPad: " ", startingAt: 0) + " " + numbers + "  "
                        + (rates.isEmpty ? "-" : rates.joined(separator: " ")))
        }
        if n == 0 { rows.append("(no answers yet)") }
        return rows.joined(separator: "\n")
    }

    // MARK: Transcripts

    func makeTranscript() -> Transcript {
        var c = conversation
        // An answer still streaming is not saved yet: a crash loses at most that answer.
        if let g = generation { c.turns.removeSubrange(g.turnIndex...) }
        return Transcript(created: sessionCreated, updated: Transcript.timestamp(), backend: backend.description,
                          settings: settings, conversation: c)
    }

    /// Saves to the session files after every turn; a failure is shown once until a save works again.
    func autosave() {
        guard let store, !conversation.turns.isEmpty else { return }
        do {
            if sessionPaths == nil {
                try store.prepareDirectory()
                sessionPaths = store.newSession()
            }
            try store.save(makeTranscript(), to: sessionPaths!)
            lastSaveError = nil
        } catch {
            let text = "Autosave failed: \(error)"
            if lastSaveError != text { notice(text, isError: true) }
            lastSaveError = text
        }
    }

    private func save(to path: String?) {
        guard !conversation.turns.isEmpty else { return notice("Nothing to save yet.") }
        do {
            if let path {
                let target = TranscriptPaths.forUserPath(TranscriptStore.expandTilde(path, environment: ProcessInfo.processInfo.environment))
                try (store ?? TranscriptStore(directory: "/")).save(makeTranscript(), to: target)
                notice("Saved \(target.json) and \(target.markdown ?? "").")
            } else if let store {
                if sessionPaths == nil {
                    try store.prepareDirectory()
                    sessionPaths = store.newSession()
                }
                try store.save(makeTranscript(), to: sessionPaths!)
                notice("Saved \(sessionPaths!.json) and \(sessionPaths!.markdown ?? "").")
            } else {
                notice("Autosave is off: give a path, e.g. /save ~/chat.json", isError: true)
            }
        } catch {
            notice("\(error)", isError: true)
        }
    }

    private func load(path: String) {
        let expanded = TranscriptStore.expandTilde(path, environment: ProcessInfo.processInfo.environment)
        let transcript: Transcript
        do { transcript = try Transcript.load(path: expanded) } catch {
            return notice("\(error)", isError: true)
        }
        restore(transcript)
        var text = "Loaded \(transcript.messages.count) messages from \(expanded); new turns are saved to a new session file."
        if transcript.backend.modelFingerprint != backend.description.modelFingerprint {
            text += " It was made with \(transcript.backend.modelName) (fingerprint \(transcript.backend.modelFingerprint)), not the current model."
        }
        notice(text)
    }

    /// Replaces the conversation and settings with a transcript's (after /load).
    public func restore(_ transcript: Transcript) {
        conversation = transcript.conversation
        settings = transcript.settings
        items = conversation.turns.indices.map { .turn($0) }
        layoutCache.removeAll()
        scrollTop = nil
        sessionPaths = nil
        sessionCreated = Transcript.timestamp()
        if let last = conversation.turns.last(where: { $0.role == .assistant }) { inspector.restore(from: last) } else { inspector.reset() }
        contextTokens = backend.tokenCount(of: conversation.messages())
        needsRender = true
    }

    // MARK: Drawing

    var statusContent: StatusBarContent {
        let current = conversation.turns.last(where: { $0.role == .assistant })
        let stats = current?.stats
        // The current answer's step timings against one-row steps; failing that, the last BiTA
        // answer's tokens/s against the last AR answer's.
        var measured = current?.mode == .bita ? speedup.estimate : nil
        if measured == nil, let ar = lastARTokensPerSecond, let b = lastBiTATokensPerSecond, ar > 0 { measured = b / ar }
        return StatusBarContent(
            modelName: backend.description.modelName, mode: isGenerating ? (current?.mode ?? settings.mode) : settings.mode,
            phase: phase, tokensPerSecond: stats?.tokensPerSecond, tau: stats?.tau, measuredSpeedup: measured,
            contextUsed: contextTokens, contextLength: backend.description.contextLength, highlight: highlightEnabled)
    }

    public func render(size: ScreenSize) -> (frame: Frame, cursor: CursorPosition?) {
        needsRender = false
        var frame = Frame(width: size.width, height: size.height)
        let placeholder = isGenerating ? "answering… Esc or Ctrl-C stops it" : "Type a message · Enter sends · F1 help"
        let input = InputView(editor: editor, placeholder: placeholder)
        guard let layout = ChatLayout(size: size, inputLines: input.desiredLines(width: size.width), showInspector: inspectorVisible) else {
            TooSmallView.draw(into: &frame)
            return (frame, nil)
        }
        let view = ConversationView(conversation: conversation, items: items, streamingTurn: generation?.turnIndex,
                                    highlight: highlightEnabled, cache: layoutCache)
        lastPaneHeight = layout.conversation.height
        lastPaneLineCount = view.draw(into: &frame, rect: layout.conversation, scrollTop: scrollTop)
        if let rect = layout.inspector {
            let inspectorView = DraftInspectorView(state: inspector, mode: generation.map { conversation.turns[$0.turnIndex].mode ?? settings.mode } ?? settings.mode)
            inspectorView.draw(lines: throttledInspectorLines(inspectorView, rect: rect), into: &frame, rect: rect)
        } else if layout.inspectorOmitted {
            frame.write(" draft inspector: needs a larger terminal ", style: .scrollIndicator,
                        row: layout.conversation.row, column: layout.conversation.column, maxWidth: layout.conversation.width)
        }
        StatusBarView(content: statusContent).draw(into: &frame, rect: layout.status)
        var cursor = input.draw(into: &frame, rect: layout.input)
        if helpVisible {
            HelpOverlayView().draw(into: &frame)
            cursor = nil
        }
        return (frame, cursor)
    }

    /// The inspector's lines are rebuilt at most every 100 ms while tokens stream, so an open
    /// inspector costs the UI thread a bounded amount however fast the decoder runs.
    static let inspectorRefreshInterval = Duration.milliseconds(100)

    private func throttledInspectorLines(_ view: DraftInspectorView, rect: Rect) -> [[DisplayCell]] {
        let now = ContinuousClock.now
        if let c = inspectorLines, c.width == rect.width, c.height == rect.height,
           c.version == inspector.version || (isGenerating && now - c.at < ChatController.inspectorRefreshInterval) {
            if c.version != inspector.version { needsRender = true }  // come back for the rest
            return c.lines
        }
        let lines = view.lines(width: rect.width - 1, height: rect.height)
        inspectorLines = (inspector.version, rect.width, rect.height, now, lines)
        return lines
    }
}
