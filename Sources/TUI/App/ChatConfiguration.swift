import Inference

/// Everything the chat needs besides the backend. Built by the `chat` command from its options.
public struct ChatConfiguration: Sendable {
    public var settings: GenerationSettings
    public var systemPrompt: String?
    /// nil: `$XDG_DATA_HOME/bita-chat/sessions` (or `~/.local/share/bita-chat/sessions`).
    public var transcriptDirectory: String?
    /// false: nothing is written unless the user runs /save.
    public var autosave: Bool
    public var theme: ThemeName
    /// false for `--no-color` (also when `NO_COLOR` is set).
    public var colorEnabled: Bool

    public init(settings: GenerationSettings = GenerationSettings(), systemPrompt: String? = nil,
                transcriptDirectory: String? = nil, autosave: Bool = true, theme: ThemeName = .dark,
                colorEnabled: Bool = true) {
        self.settings = settings; self.systemPrompt = systemPrompt
        self.transcriptDirectory = transcriptDirectory; self.autosave = autosave
        self.theme = theme; self.colorEnabled = colorEnabled
    }
}
