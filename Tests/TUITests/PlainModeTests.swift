import Foundation
import Inference
import Testing
@testable import TUI

/// `bita-chat` with stdin/stdout redirected: scriptable, no curses.
@Suite struct PlainModeTests {
    func chat(_ input: String, dir: String, extra: [String] = []) throws -> ProcessResult? {
        guard let bin = BitaChatBinary.path() else { return nil }
        return try runProcess(bin, ["--demo-backend", "--demo-step-ms", "0", "--transcript-dir", dir] + extra,
                              stdin: Data(input.utf8))
    }

    @Test func linesInAnswersOutAndTranscriptSaved() throws {
        let dir = TemporaryDirectory()
        let questions = ["What is BiTA?", "/set seed 7", "Why is it lossless?", "", "tell me a long story"]
        guard let r = try chat(questions.joined(separator: "\n") + "\n", dir: dir.path + "/s", extra: ["--max-tokens", "5000"]) else { return }
        #expect(r.status == 0, "\(r.stderr)")
        let answers = r.stdoutText.split(separator: "\n", omittingEmptySubsequences: false)
        let expected = ["What is BiTA?", "Why is it lossless?", "tell me a long story"].map(ScriptedChatBackend.answer(to:))
        #expect(r.stdoutText == expected.joined(separator: "\n") + "\n", "\(answers.prefix(3))")
        #expect(r.stderr.contains("seed 7"))
        #expect(!r.stdoutText.contains("\u{1b}"), "curses output in plain mode")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/s")
        let json = try #require(files.first { $0.hasSuffix(".json") })
        let saved = try Transcript.load(path: dir.path + "/s/" + json)
        #expect(saved.messages.count == 6)
        #expect(saved.settings.seed == 7)
        #expect(fileMode(dir.path + "/s/" + json) == 0o600)
        #expect(fileMode(dir.path + "/s") == 0o700)
    }

    @Test func pipedOutputIsFaithfulAndInvalidUTF8IsHandled() throws {
        let dir = TemporaryDirectory()
        guard let bin = BitaChatBinary.path() else { return }
        var input = Data("show me hostile text\n".utf8)
        input.append(contentsOf: [0x62, 0xFF, 0xFE, 0xC3, 0x0A])   // "b", invalid bytes, truncated sequence
        let r = try runProcess(bin, ["--demo-backend", "--demo-step-ms", "0", "--transcript-dir", dir.path], stdin: input)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdoutText.components(separatedBy: "\n")
        // To a pipe the answer is exactly what the model said (scripts get the real text).
        #expect(lines[0] == ScriptedChatBackend.answer(to: "show me hostile text").replacingOccurrences(of: "\r", with: "\r"))
        #expect(lines[1].hasPrefix("You asked: \"b\u{FFFD}"))
    }

    @Test func unusableModelIsAOneLineError() throws {
        guard let bin = BitaChatBinary.path() else { return }
        let r = try runProcess(bin, ["chat", "--model", "/nonexistent/model.gguf"], stdin: Data("hi\n".utf8))
        #expect(r.status != 0)
        #expect(r.stderr.contains("/nonexistent/model.gguf"))
        #expect(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test func transcriptExportMarkdownAndHTML() throws {
        let dir = TemporaryDirectory()
        guard let bin = BitaChatBinary.path(),
              try chat("What is BiTA?\nshow me hostile text\n", dir: dir.path)?.status == 0 else { return }
        let json = dir.path + "/" + (try FileManager.default.contentsOfDirectory(atPath: dir.path).first { $0.hasSuffix(".json") } ?? "")
        let md = try runProcess(bin, ["transcript", "export", json, "--format", "md"])
        #expect(md.status == 0, "\(md.stderr)")
        #expect(md.stdoutText.contains("⟦"))
        #expect(md.stdoutText.contains("^[]") && md.stdoutText.contains("^G"))
        #expect(isSafeForTerminal(md.stdoutText))
        let out = dir.path + "/page.html"
        let html = try runProcess(bin, ["transcript", "export", json, "--format", "html", "--output", out])
        #expect(html.status == 0, "\(html.stderr)")
        let page = try String(contentsOfFile: out, encoding: .utf8)
        #expect(page.contains("<span class=\"d1\">"))
        #expect(!page.contains("<script"))
        #expect(fileMode(out) == 0o600)
        let bad = try runProcess(bin, ["transcript", "export", dir.path + "/nope.json"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("no transcript at"))
    }

    /// A size-limited file system stand-in (RLIMIT_FSIZE via `ulimit -f`): the save that no longer
    /// fits reports an error, the chat goes on, and the last good transcript is intact.
    @Test func fullDiskKeepsThePreviousTranscript() throws {
        let dir = TemporaryDirectory()
        guard let bin = BitaChatBinary.path() else { return }
        let questions = (1...12).map { "question \($0) tell me a long story" }.joined(separator: "\n") + "\n"
        let script = "ulimit -f 64; exec \(shellQuoted(bin)) --demo-backend --demo-step-ms 0 --transcript-dir \(shellQuoted(dir.path))"
        let r = try runProcess("/bin/sh", ["-c", script], stdin: Data(questions.utf8))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("Autosave failed"), "no visible error: \(r.stderr)")
        #expect(r.stderr.contains("previous version of the file is unchanged"))
        #expect(r.stdoutText.components(separatedBy: "\n").filter { $0.hasPrefix("Once upon") }.count == 12)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        let json = try #require(files.first { $0.hasSuffix(".json") })
        let saved = try Transcript.load(path: dir.path + "/" + json)
        #expect(saved.messages.count >= 2 && saved.messages.count < 24)
        for (i, m) in saved.messages.enumerated() where m.role == .assistant {
            // Each answer is complete or stopped by max_tokens: a prefix of the script, never garbage.
            #expect(!m.content.isEmpty && ScriptedChatBackend.answer(to: "question \(i / 2 + 1) tell me a long story").hasPrefix(m.content),
                    "message \(i)")
        }
        #expect(files.allSatisfy { !$0.contains(".tmp-") }, "temporary files left: \(files)")
    }

    /// SIGKILL at random moments of a 20-turn scripted session, 50 times: the transcript on disk
    /// is always valid JSON holding complete earlier turns.
    @Test func killNineNeverLeavesAnUnreadableTranscript() async throws {
        guard let bin = BitaChatBinary.path() else { return }
        let questions = (1...20).map { "question \($0)" }
        let input = Data((questions.joined(separator: "\n") + "\n").utf8)
        var checkedFiles = 0
        for round in 0..<50 {
            let dir = TemporaryDirectory()
            let p = Process()
            p.executableURL = URL(fileURLWithPath: bin)
            p.arguments = ["--demo-backend", "--demo-step-ms", "1", "--transcript-dir", dir.path]
            let inp = Pipe()
            p.standardInput = inp
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            inp.fileHandleForWriting.write(input)
            try inp.fileHandleForWriting.close()
            try await Task.sleep(for: .milliseconds(Int.random(in: 5...600)))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            guard let json = files.first(where: { $0.hasSuffix(".json") && !$0.hasPrefix(".") }) else { continue }
            checkedFiles += 1
            let saved: Transcript
            do { saved = try Transcript.load(path: dir.path + "/" + json) } catch {
                Issue.record("round \(round): unreadable transcript: \(error)"); continue
            }
            for (i, m) in saved.messages.enumerated() {
                if m.role == .user {
                    #expect(m.content == questions[i / 2])
                } else {
                    #expect(m.content == ScriptedChatBackend.answer(to: questions[i / 2]), "round \(round) message \(i)")
                }
            }
        }
        #expect(checkedFiles >= 25, "too few rounds got far enough to save (\(checkedFiles))")
    }
}
