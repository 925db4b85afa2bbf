import Foundation
import Inference
import TUI

/// Saved sessions (`<session>.json`): the loader, then the Markdown and HTML exports of what it
/// accepts.
public enum TranscriptFuzzTarget: FuzzTarget {
    public static let name = "transcript"

    public static func run(_ input: [UInt8]) throws(FuzzPropertyViolation) {
        func fail(_ message: String) -> FuzzPropertyViolation { FuzzPropertyViolation(name, message) }
        let transcript: Transcript
        do { transcript = try Transcript.decode(Data(input), path: "fuzz.json") } catch {
            // The message is printed to the terminal as it is: it must be there and be safe.
            let message = "\(error)"
            if message.isEmpty { throw fail("empty message for a refused transcript") }
            if VisibleText.needsEscaping(message.replacingOccurrences(of: "\n", with: " ")) {
                throw fail("error message carries raw control characters: \(message.debugDescription)")
            }
            return
        }
        // Save and load again: the same transcript.
        let saved: Data
        do { saved = try transcript.encoded() } catch { throw fail("accepted transcript cannot be encoded: \(error)") }
        let again: Transcript
        do { again = try Transcript.decode(saved, path: "again.json") } catch {
            throw fail("saved transcript is refused: \(error)")
        }
        guard again == transcript else { throw fail("transcript changed in a save/load round trip") }
        let conversation = transcript.conversation
        guard conversation.firstTurnInContext >= 0, conversation.firstTurnInContext <= conversation.turns.count else {
            throw fail("context start \(conversation.firstTurnInContext) outside 0...\(conversation.turns.count)")
        }
        _ = conversation.messages()

        try checkExport(html: HTMLTranscriptRenderer.render(transcript), markdown: MarkdownTranscriptRenderer.render(transcript))
    }

    /// Markdown is safe to print to a terminal (no control character but newline and tab); in
    /// HTML every tag is one the renderer writes, so text can never open a tag of its own.
    public static func checkExport(html: String, markdown: String) throws(FuzzPropertyViolation) {
        func fail(_ message: String) -> FuzzPropertyViolation { FuzzPropertyViolation(name, message) }
        if VisibleText.needsEscaping(markdown) {
            let bad = markdown.unicodeScalars.first { $0 != "\n" && $0 != "\t" && VisibleText.escape(for: $0) != nil }!
            throw fail("Markdown export carries raw U+\(String(bad.value, radix: 16, uppercase: true))")
        }
        if let tag = unexpectedTag(in: html) { throw fail("HTML export contains a <\(tag)> tag from transcript text") }
        if VisibleText.needsEscaping(html) { throw fail("HTML export carries raw control characters") }
    }

    static let rendererTags: Set<String> = [
        "!DOCTYPE", "html", "/html", "head", "/head", "meta", "title", "/title", "style", "/style", "body", "/body",
        "h1", "/h1", "h2", "/h2", "p", "/p", "br", "code", "/code", "section", "/section", "div", "/div", "span", "/span",
    ]

    /// The first tag name (text after `<` up to a space or `>`) that the renderer does not write.
    static func unexpectedTag(in html: String) -> String? {
        let scalars = Array(html.unicodeScalars)
        var i = 0
        while i < scalars.count {
            if scalars[i] == "<" {
                var j = i + 1
                var name = ""
                while j < scalars.count, scalars[j] != " ", scalars[j] != ">", scalars[j] != "\n" {
                    name.unicodeScalars.append(scalars[j]); j += 1
                }
                if !rendererTags.contains(name) { return name }
                i = j
            } else {
                i += 1
            }
        }
        return nil
    }
}
