import Foundation
import Inference
import Testing
@testable import TUI

@MainActor
@Suite struct TranscriptTests {
    /// A session with a system prompt, a normal answer, an interrupted one and hostile text.
    func recordedSession(in dir: TemporaryDirectory) async throws -> ChatHarness {
        let store = TranscriptStore(directory: dir.path + "/sessions")
        let h = ChatHarness(width: 100, height: 200, backend: ScriptedChatBackend(stepDelay: .milliseconds(1)),
                            configuration: ChatConfiguration(systemPrompt: "You are terse."), store: store)
        await h.send("What is BiTA?")
        h.type("tell me a long story")
        h.press(.enter)
        while (h.controller.conversation.turns.last?.tokens.count ?? 0) < 10 {
            h.controller.processEvents()
            try await Task.sleep(for: .milliseconds(2))
        }
        h.press(.control("c"))
        await h.send("show me hostile text")
        return h
    }

    @Test func jsonRoundTripIsExact() async throws {
        let dir = TemporaryDirectory()
        let h = try await recordedSession(in: dir)
        let transcript = h.controller.makeTranscript()
        let decoded = try Transcript.decode(transcript.encoded())
        #expect(decoded == transcript)
        #expect(decoded.conversation == h.controller.conversation)
        #expect(decoded.messages[3].interrupted == true)
        #expect(decoded.messages[1].tokens?.contains { $0.depth > 0 } == true)
        #expect(decoded.backend.modelFingerprint == "scripted-demo-1")
    }

    @Test func autosavedFileReloadsToTheSameConversationAndHighlighting() async throws {
        let dir = TemporaryDirectory()
        let h = try await recordedSession(in: dir)
        let paths = try #require(h.controller.sessionPaths)
        #expect(FileManager.default.fileExists(atPath: paths.json))
        #expect(FileManager.default.fileExists(atPath: try #require(paths.markdown)))

        let resumed = ChatHarness(width: 100, height: 200)
        await resumed.send("/load \(paths.json)")
        #expect(resumed.controller.conversation == h.controller.conversation)
        #expect(resumed.controller.settings == h.controller.settings)
        h.draw()
        #expect(!h.draftCharacters.isEmpty)
        #expect(resumed.draftCharacters == h.draftCharacters)
        #expect(resumed.screen.text.contains("[interrupted]"))
        #expect(resumed.controller.notices.last?.text.contains("Loaded 6 messages") == true)
    }

    @Test func filesAre0600InA0700Directory() async throws {
        let dir = TemporaryDirectory()
        let h = try await recordedSession(in: dir)
        let paths = try #require(h.controller.sessionPaths)
        #expect(fileMode(paths.json) == 0o600)
        #expect(fileMode(paths.markdown!) == 0o600)
        #expect(fileMode(dir.path + "/sessions") == 0o700)
        // Missing parents are created 0700 too; the default location follows XDG_DATA_HOME.
        let store = TranscriptStore(directory: nil, environment: ["XDG_DATA_HOME": dir.path + "/xdg", "HOME": "/nonexistent"])
        #expect(store.directory == dir.path + "/xdg/bita-chat/sessions")
        try store.prepareDirectory()
        #expect(fileMode(dir.path + "/xdg") == 0o700)
        #expect(fileMode(dir.path + "/xdg/bita-chat") == 0o700)
        #expect(fileMode(store.directory) == 0o700)
        let home = TranscriptStore(directory: nil, environment: ["HOME": "/home/someone"])
        #expect(home.directory == "/home/someone/.local/share/bita-chat/sessions")
        // Saving over a file that was world-readable leaves a 0600 file.
        let loose = dir.path + "/loose.json"
        _ = FileManager.default.createFile(atPath: loose, contents: Data("{}".utf8), attributes: [.posixPermissions: 0o644])
        try TranscriptStore.writeAtomically(Data("[]".utf8), to: loose)
        #expect(fileMode(loose) == 0o600)
    }

    @Test func failedWriteLeavesThePreviousFileIntact() throws {
        let dir = TemporaryDirectory()
        let target = dir.path + "/session.json"
        let original = Data("previous content".utf8)
        try AtomicFileWriter().write(original, to: target)
        for stage in [AtomicFileWriter.Stage.create, .write, .sync, .rename] {
            let writer = AtomicFileWriter(injectFault: { $0 == stage ? ENOSPC : nil })
            #expect(throws: TranscriptError.self) { try writer.write(Data(repeating: 65, count: 100_000), to: target) }
            #expect(FileManager.default.contents(atPath: target) == original, "stage \(stage)")
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0 != "session.json" }
            #expect(leftovers.isEmpty, "temporary files left after a failure at \(stage): \(leftovers)")
        }
        do {
            try AtomicFileWriter(injectFault: { $0 == .write ? ENOSPC : nil }).write(Data("x".utf8), to: target)
        } catch {
            #expect(error.description.contains("No space left on device"))
            #expect(error.description.contains("previous version of the file is unchanged"))
        }
    }

    @Test func readOnlyDirectoryFailsWithoutTouchingTheFile() throws {
        guard getuid() != 0 else {
            // Root ignores directory permissions; the injected faults above cover this path.
            return
        }
        let dir = TemporaryDirectory()
        let target = dir.path + "/session.json"
        try AtomicFileWriter().write(Data("v1".utf8), to: target)
        chmod(dir.path, 0o500)
        defer { chmod(dir.path, 0o700) }
        #expect(throws: TranscriptError.self) { try AtomicFileWriter().write(Data("v2".utf8), to: target) }
        #expect(FileManager.default.contents(atPath: target) == Data("v1".utf8))
    }

    @Test func autosaveFailureIsVisibleAndChatContinues() async throws {
        let dir = TemporaryDirectory()
        let blocker = dir.path + "/not-a-dir"
        _ = FileManager.default.createFile(atPath: blocker, contents: Data())
        let h = ChatHarness(store: TranscriptStore(directory: blocker + "/sessions"))
        await h.send("hello")
        #expect(h.controller.notices.contains { $0.isError && $0.text.contains("Autosave failed") })
        #expect(h.controller.notices.filter { $0.text.contains("Autosave failed") }.count == 1)
        await h.send("again")
        #expect(h.controller.conversation.turns.count == 4)
    }

    @Test func loadRejectsBadFilesWithReasons() throws {
        let dir = TemporaryDirectory()
        func write(_ name: String, _ text: String) -> String {
            let p = dir.path + "/" + name
            _ = FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
            return p
        }
        let cases: [(String, String, String)] = [
            ("garbage.json", "{not json", "not valid JSON"),
            ("other.json", #"{"format":"something-else","version":1}"#, "missing"),
            ("future.json", try futureTranscript(), "newer than this bita-chat"),
        ]
        for (name, content, reason) in cases {
            let p = write(name, content)
            do {
                _ = try Transcript.load(path: p)
                Issue.record("\(name) loaded")
            } catch {
                #expect(error.description.contains(reason), "\(name): \(error)")
            }
        }
        #expect(throws: TranscriptError.notFound(path: dir.path + "/missing.json")) {
            try Transcript.load(path: dir.path + "/missing.json")
        }
        do { _ = try Transcript.load(path: dir.path); Issue.record("directory loaded") } catch {
            #expect(error.description.contains("directory"))
        }
    }

    func futureTranscript() throws -> String {
        var t = Transcript(created: "c", updated: "u", backend: ScriptedChatBackend().description,
                           settings: GenerationSettings(), conversation: Conversation())
        t.version = 99
        return String(decoding: try t.encoded(), as: UTF8.self)
    }

    @Test func tokensThatDoNotSpellTheTextAreDropped() throws {
        var c = Conversation()
        var answer = ChatTurn(role: .assistant, text: "")
        answer.append(EmittedToken(id: 1, text: "Hi", origin: .draft(depth: 1), step: 0))
        c.turns = [ChatTurn(role: .user, text: "q"), answer]
        var t = Transcript(created: "c", updated: "u", backend: ScriptedChatBackend().description,
                           settings: GenerationSettings(), conversation: c)
        t.messages[1].content = "Hello"   // edited by hand
        let loaded = try Transcript.decode(t.encoded()).conversation
        #expect(loaded.turns[1].text == "Hello")
        #expect(loaded.turns[1].tokens.isEmpty)
    }
}

@Suite struct TranscriptRenderingTests {
    func transcript(user: String, answer: [(String, Int)]) -> Transcript {
        var c = Conversation(systemPrompt: "sys <b>")
        var a = ChatTurn(role: .assistant, text: "")
        for (i, (text, depth)) in answer.enumerated() {
            a.append(EmittedToken(id: Int32(i), text: text, origin: depth > 0 ? .draft(depth: depth) : .autoregressive, step: i))
        }
        a.interrupted = true
        c.turns = [ChatTurn(role: .user, text: user), a]
        return Transcript(created: "2025-01-01T00:00:00Z", updated: "2025-01-01T00:00:01Z",
                          backend: BackendDescription(modelName: "m<script>", modelFingerprint: "\"fp\"", adapterName: nil,
                                                      adapterFingerprint: nil, contextLength: 10, threads: 1),
                          settings: GenerationSettings(), conversation: c)
    }

    @Test func htmlEscapesEverythingAndColoursDrafts() {
        let t = transcript(user: "<script>alert('x')</script> & \"quotes\" \u{1b}[2J",
                           answer: [("Hello", 0), (" <img src=x onerror=alert(1)>", 1), (" world", 2), ("\u{1b}]52;c;x\u{07}", 0)])
        let html = HTMLTranscriptRenderer.render(t)
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("onerror=alert(1)>"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quotes&quot;"))
        #expect(html.contains("<span class=\"d1\"> &lt;img src=x onerror=alert(1)&gt;</span>"))
        #expect(html.contains("<span class=\"d2\"> world</span>"))
        #expect(html.contains("<span class=\"ctl\">^[</span>"))
        #expect(html.contains("Content-Security-Policy"))
        #expect(html.contains("m&lt;script&gt;"))
        #expect(html.contains("(interrupted)"))
        #expect(isSafeForTerminal(html))
    }

    @Test func markdownMarksAcceptedSpansAndEscapesControls() {
        let t = transcript(user: "hi \u{1b}[31m", answer: [("The", 0), (" cat", 1), (" sat", 2), (" down", 0)])
        let md = MarkdownTranscriptRenderer.render(t)
        #expect(md.contains("The⟦ cat sat⟧ down"))
        #expect(md.contains("hi ^[[31m"))
        #expect(md.contains("## System"))
        #expect(md.contains("*(interrupted)*"))
        #expect(isSafeForTerminal(md))
    }
}
