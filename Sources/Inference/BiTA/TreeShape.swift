/// How big a step's draft tree is.
///
/// `candidates[d-1]` drafts sit at depth d: the top predictions of mask token d of the group the
/// previous step ended on. Only the best (rank 0) node of a depth has children, so the tree is a
/// spine of top-1 drafts with alternatives hanging off it. Every node that can end the accepted
/// path (the root and every draft) carries a group of `groupSize` mask tokens that drafts the
/// next step; `groupSize` also bounds the depth of the next tree.
///
/// Text form (for `--tree`): candidates per depth separated by commas, optionally `/g` and the
/// group size: "1,1,1" (a chain of 3, groups of 3), "3,2,1/g3", "2/g2", "ar" (no drafts, no masks).
public struct TreeShape: Sendable, Hashable, CustomStringConvertible {
    public var candidates: [Int]
    public var groupSize: Int

    public static let autoregressive = TreeShape(uncheckedCandidates: [], groupSize: 0)

    init(uncheckedCandidates: [Int], groupSize: Int) {
        self.candidates = uncheckedCandidates
        self.groupSize = groupSize
    }

    public init(candidates: [Int], groupSize: Int? = nil, maskCount: Int) throws(TreeShapeError) {
        let g = groupSize ?? candidates.count
        guard candidates.allSatisfy({ $0 >= 1 && $0 <= 16 }) else {
            throw .invalid("each depth needs 1 to 16 candidates, got \(candidates)")
        }
        guard g >= 0, g <= maskCount else {
            throw .invalid("group size \(g) exceeds the adapter's \(maskCount) mask tokens")
        }
        guard candidates.count <= max(g, 0), candidates.count <= maskCount else {
            throw .invalid("\(candidates.count) draft depths need at least \(candidates.count) mask tokens per group (have \(g))")
        }
        self.candidates = candidates
        self.groupSize = g
        guard rowCount <= 256 else { throw .invalid("tree of \(rowCount) rows is too big (max 256)") }
    }

    /// Parses the `--tree` text form.
    public init(parsing text: String, maskCount: Int) throws(TreeShapeError) {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t == "ar" || t == "none" { self = .autoregressive; return }
        let parts = t.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let spec = parts.first, !spec.isEmpty else {
            throw .invalid("cannot read tree shape \"\(text)\"; expected e.g. \"1,1,1\", \"3,2,1/g3\" or \"ar\"")
        }
        var cands: [Int] = []
        for piece in spec.split(separator: ",", omittingEmptySubsequences: false) {
            guard let v = Int(piece) else {
                throw .invalid("cannot read tree shape \"\(text)\": \"\(piece)\" is not a number of candidates")
            }
            cands.append(v)
        }
        var g: Int? = nil
        if parts.count == 2 {
            guard parts[1].hasPrefix("g"), let v = Int(parts[1].dropFirst()) else {
                throw .invalid("cannot read tree shape \"\(text)\": the group size is written /gN, e.g. /g3")
            }
            g = v
        }
        try self.init(candidates: cands, groupSize: g, maskCount: maskCount)
    }

    public var depth: Int { candidates.count }
    public var draftCount: Int { candidates.reduce(0, +) }
    /// Rows in the step's forward pass: root + drafts + one mask group per node.
    public var rowCount: Int { 1 + draftCount + (1 + draftCount) * groupSize }

    public var description: String {
        if candidates.isEmpty && groupSize == 0 { return "ar" }
        return candidates.map(String.init).joined(separator: ",") + "/g\(groupSize)"
    }
}

public enum TreeShapeError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    public var description: String {
        switch self { case .invalid(let m): return "invalid tree shape: \(m)" }
    }
}

import Foundation
