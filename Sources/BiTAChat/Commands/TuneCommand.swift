import ArgumentParser

struct TuneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "(not implemented yet)"
    )

    func run() async throws {
        try notImplementedYet("tune")
    }
}
