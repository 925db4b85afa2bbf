public enum TranscriptError: Error, CustomStringConvertible, Equatable {
    case notFound(path: String)
    case unreadable(path: String)
    case tooLarge(path: String, bytes: Int)
    case invalid(path: String, reason: String)
    case cannotCreateDirectory(path: String, reason: String)
    /// Writing failed; the previous file at `path`, if any, is untouched.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let p): return "no transcript at \(shown(p))"
        case .unreadable(let p): return "cannot read \(shown(p)) (check its permissions)"
        case .tooLarge(let p, let n):
            return "\(shown(p)) is \(n / (1 << 20)) MB; transcripts larger than \(Transcript.maximumFileBytes >> 20) MB are refused"
        case .invalid(let p, let r): return "\(shown(p)) is not a usable transcript: \(shown(r))"
        case .cannotCreateDirectory(let p, let r): return "cannot create the transcript directory \(shown(p)): \(r)"
        case .writeFailed(let p, let r):
            return "could not save \(shown(p)): \(r); the previous version of the file is unchanged"
        }
    }

    /// Paths and reasons can quote the file's own text (a JSON decoding error names the bad
    /// value): shown with visible escapes, as the message goes to the terminal as it is.
    private func shown(_ text: String) -> String { VisibleText.escaped(text, keepNewlines: false) }
}
