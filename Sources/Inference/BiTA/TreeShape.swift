/// How big a step's draft tree is.
///
/// `candidates[d-1]` drafts sit at depth d: the top predictions of mask token d of the group the
/// previous step ended on. Only the best (rank 0) node of a depth has children, so the tree is a
/// spine of top-1 drafts with alternatives hanging off it. Every node that can end the accepted
/// path (the root and every draft) carries a group of `groupSize` mask tokens that drafts the
/// next step; `groupSize` also bounds the depth of the next tree.
///
/// A *lean* shape puts the mask group only on the deepest top-1 draft (the root when there are no
/// drafts): `groupSize` rows instead of `groupSize` per node. When that draft is accepted the next
/// step has drafts as usual; otherwise it has none, and runs as root + mask group only, which
/// drafts the step after it. Fewer rows per step for fewer drafted steps: it pays where an extra
/// row costs much (CPUs without 4-byte int8 dot products).
///
/// Text form (for `--tree`): candidates per depth separated by commas, optionally `/g` and the
/// group size, optionally `/lean`: "1,1,1" (a chain of 3, groups of 3), "3,2,1/g3", "2/g2",
/// "1/g1/lean", "ar" (no drafts, no masks).
public struct TreeShape: Sendable, Hashable, CustomStringConvertible {
    public var candidates: [Int]
    public var groupSize: Int
    /// Only the deepest top-1 draft carries a mask group (see above).
    public var lean: Bool

    public static let autoregressive = TreeShape(uncheckedCandidates: [], groupSize: 0)

    init(uncheckedCandidates: [Int], groupSize: Int, lean: Bool = false) {
        self.candidates = uncheckedCandidates
        self.groupSize = groupSize
        self.lean = lean
    }

    public init(candidates: [Int], groupSize: Int? = nil, lean: Bool = false, maskCount: Int) throws(TreeShapeError) {
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
        guard !lean || g > 0 else { throw .invalid("a lean shape needs a mask group (group size at least 1)") }
        self.candidates = candidates
        self.groupSize = g
        self.lean = lean
        guard rowCount <= 256 else { throw .invalid("tree of \(rowCount) rows is too big (max 256)") }
    }

    /// Parses the `--tree` text form.
    public init(parsing text: String, maskCount: Int) throws(TreeShapeError) {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t == "ar" || t == "none" { self = .autoregressive; return }
        var parts = t.split(separator: "/", omittingEmptySubsequences: false)
        let lean = parts.count >= 2 && parts.last == "lean"
        if lean { parts.removeLast() }
        guard parts.count <= 2, let spec = parts.first, !spec.isEmpty else {
            throw .invalid("cannot read tree shape \"\(text)\"; expected e.g. \"1,1,1\", \"3,2,1/g3\", \"1/g1/lean\" or \"ar\"")
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
        try self.init(candidates: cands, groupSize: g, lean: lean, maskCount: maskCount)
    }

    public var depth: Int { candidates.count }
    public var draftCount: Int { candidates.reduce(0, +) }
    /// Rows in the step's forward pass: root + drafts + one mask group per node (lean: one group).
    public var rowCount: Int { 1 + draftCount + (lean ? 1 : 1 + draftCount) * groupSize }

    public var description: String {
        if candidates.isEmpty && groupSize == 0 { return "ar" }
        return candidates.map(String.init).joined(separator: ",") + "/g\(groupSize)" + (lean ? "/lean" : "")
    }
}

public enum TreeShapeError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    public var description: String {
        switch self { case .invalid(let m): return "invalid tree shape: \(m)" }
    }
}

import Foundation
