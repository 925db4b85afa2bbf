/// The Unicode facts the pre-tokenizers test: general category (one of letter, number,
/// separator, mark, punctuation, symbol, control, undefined) plus the White_Space property.
///
/// Categories come from the Swift standard library, capped at Unicode 15.1: characters assigned
/// later count as undefined, because llama.cpp's tables (the reference we must match token for
/// token) stop there. A test pins the cap.
struct CodepointFlags: OptionSet, Sendable, Hashable {
    let rawValue: UInt16

    static let undefined = CodepointFlags(rawValue: 1 << 0)
    static let number = CodepointFlags(rawValue: 1 << 1)
    static let letter = CodepointFlags(rawValue: 1 << 2)
    static let separator = CodepointFlags(rawValue: 1 << 3)
    static let mark = CodepointFlags(rawValue: 1 << 4)
    static let punctuation = CodepointFlags(rawValue: 1 << 5)
    static let symbol = CodepointFlags(rawValue: 1 << 6)
    static let control = CodepointFlags(rawValue: 1 << 7)
    static let whitespace = CodepointFlags(rawValue: 1 << 8)

    /// Newest Unicode version whose assignments count.
    static let unicodeVersionCap = (major: 15, minor: 1)

    @inline(__always) var isLetter: Bool { rawValue & Self.letter.rawValue != 0 }
    @inline(__always) var isNumber: Bool { rawValue & Self.number.rawValue != 0 }
    @inline(__always) var isWhitespace: Bool { rawValue & Self.whitespace.rawValue != 0 }
    @inline(__always) var isPunctuation: Bool { rawValue & Self.punctuation.rawValue != 0 }

    /// Flags of one code point (0x110000 and beyond: undefined).
    @inline(__always) static func of(_ cp: UInt32) -> CodepointFlags {
        if cp < 0x10000 { return CodepointFlags(rawValue: basicPlane[Int(cp)]) }
        return computed(cp)
    }

    /// Basic Multilingual Plane, precomputed once (64 Ki entries, 128 KiB).
    static let basicPlane: [UInt16] = (0..<0x10000).map { computed(UInt32($0)).rawValue }

    static func computed(_ cp: UInt32) -> CodepointFlags {
        guard let scalar = Unicode.Scalar(cp) else {
            // Surrogate code points (never in a Swift string) are category Cs.
            return (0xD800...0xDFFF).contains(cp) ? .control : .undefined
        }
        var flags: CodepointFlags
        if let age = scalar.properties.age,
           (age.major, age.minor) > (unicodeVersionCap.major, unicodeVersionCap.minor) {
            flags = .undefined
        } else {
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
                flags = .letter
            case .decimalNumber, .letterNumber, .otherNumber:
                flags = .number
            case .spaceSeparator, .lineSeparator, .paragraphSeparator:
                flags = .separator
            case .nonspacingMark, .spacingMark, .enclosingMark:
                flags = .mark
            case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                 .initialPunctuation, .finalPunctuation, .otherPunctuation:
                flags = .punctuation
            case .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
                flags = .symbol
            case .control, .format, .surrogate, .privateUse:
                flags = .control
            case .unassigned:
                flags = .undefined
            @unknown default:
                flags = .undefined
            }
        }
        if isWhiteSpaceProperty(cp) { flags.insert(.whitespace) }
        return flags
    }

    /// Unicode's White_Space property (stable since Unicode 6.3).
    static func isWhiteSpaceProperty(_ cp: UInt32) -> Bool {
        switch cp {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }
}
