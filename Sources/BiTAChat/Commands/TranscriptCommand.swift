import ArgumentParser

struct TranscriptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transcript",
        abstract: "(not implemented yet)"
    )

    func run() async throws {
        try notImplementedYet("transcript")
    }
}
