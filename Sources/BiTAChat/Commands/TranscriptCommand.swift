import ArgumentParser
import Foundation
import TUI

struct TranscriptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transcript",
        abstract: "Work with saved chat sessions.",
        subcommands: [Export.self]
    )

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Render a saved session (.json) as Markdown or HTML.",
            discussion: """
                HTML escapes all text and forbids scripts; accepted drafts appear as coloured spans. \
                Markdown marks them with ⟦ ⟧. Control characters are shown as escapes in both.
                """
        )

        @Argument(help: "A session file written by the chat (.json).")
        var file: String

        @Option(help: "md or html.")
        var format: String = "md"

        @Option(help: "Write here (created 0600) instead of stdout.")
        var output: String?

        func validate() throws {
            guard ["md", "markdown", "html"].contains(format.lowercased()) else {
                throw ValidationError("--format must be md or html")
            }
        }

        func run() throws {
            let transcript: Transcript
            do { transcript = try Transcript.load(path: file) } catch { throw UserFacingError("\(error)") }
            let text = format.lowercased() == "html"
                ? HTMLTranscriptRenderer.render(transcript)
                : MarkdownTranscriptRenderer.render(transcript)
            if let output {
                do { try TranscriptStore.writeAtomically(Data(text.utf8), to: output) } catch { throw UserFacingError("\(error)") }
            } else {
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
    }
}
