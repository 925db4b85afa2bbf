/// One step's batch layout as a pure value: the root (the newest verified token, not yet in the
/// KV cache), the draft nodes, and the mask groups, with positions and visibility.
///
/// Row order: [root] + draft nodes (by depth, then rank) + mask groups (in node order, each
/// `groupSize` rows). With the cache holding positions [0, base):
///   root at base; a draft at depth d at base + d;
///   mask i (1-based) of the group on node x at position(x) + i.
/// Visibility: a draft node sees the root and its ancestors; a mask row sees its node, the node's
/// ancestors, and the earlier masks of its own group; only mask rows see the prompt K/V.
public struct DraftTree: Sendable, Equatable {
    public struct Node: Sendable, Equatable {
        public var token: Int32
        /// Row of the parent (0 = root).
        public var parent: Int
        public var depth: Int
        public var rank: Int
    }

    public let base: Int
    public let root: Int32
    /// Draft nodes; node k lives in row k + 1.
    public let nodes: [Node]
    public let groupSize: Int
    /// First mask row of each node's group, indexed by row (root = 0); nil when no group.
    public let groupStart: [Int?]
    public let rowCount: Int

    /// Builds the tree from per-depth candidate lists (best first). Depth d's candidates are
    /// children of depth d-1's best candidate (the root for depth 1). `lean`: only the deepest
    /// best candidate (the root without candidates) gets a mask group.
    public init(base: Int, root: Int32, candidatesByDepth: [[Int32]], groupSize: Int, lean: Bool = false) {
        self.base = base
        self.root = root
        self.groupSize = groupSize
        var nodes: [Node] = []
        var parentRow = 0
        for (d, cands) in candidatesByDepth.enumerated() {
            guard !cands.isEmpty else { break }
            var firstRow = 0
            for (rank, t) in cands.enumerated() {
                nodes.append(Node(token: t, parent: parentRow, depth: d + 1, rank: rank))
                if rank == 0 { firstRow = nodes.count }
            }
            parentRow = firstRow
        }
        self.nodes = nodes
        var starts: [Int?] = []
        var next = 1 + nodes.count
        for row in 0...nodes.count {
            if groupSize > 0 && (!lean || row == parentRow) { starts.append(next); next += groupSize } else { starts.append(nil) }
        }
        groupStart = starts
        rowCount = next
    }

    /// A single chain of drafts hanging off the root (drafts read from the context, see
    /// `ContextLookup`), with one mask group of `groupSize` rows on the chain's last draft (on the
    /// root when the chain is empty).
    public init(base: Int, root: Int32, chain: [Int32], groupSize: Int) {
        self.base = base
        self.root = root
        self.groupSize = groupSize
        nodes = chain.enumerated().map { Node(token: $1, parent: $0, depth: $0 + 1, rank: 0) }
        var starts = [Int?](repeating: nil, count: chain.count + 1)
        if groupSize > 0 { starts[chain.count] = 1 + chain.count }
        groupStart = starts
        rowCount = 1 + chain.count + groupSize
    }

    public func depth(ofRow row: Int) -> Int { row == 0 ? 0 : nodes[row - 1].depth }
    public func parent(ofRow row: Int) -> Int? { row == 0 ? nil : nodes[row - 1].parent }
    public func token(ofRow row: Int) -> Int32 { row == 0 ? root : nodes[row - 1].token }

    /// Children rows of a node row, in rank order.
    public func children(ofRow row: Int) -> [Int] {
        nodes.indices.filter { nodes[$0].parent == row }.map { $0 + 1 }
    }

    /// Rows on the path root ... row (inclusive), root first.
    public func path(toRow row: Int) -> [Int] {
        var chain = [row]
        var r = row
        while let p = parent(ofRow: r) { chain.append(p); r = p }
        return chain.reversed()
    }

    /// The forward batch: inputs, positions, visibility and prompt visibility for every row.
    public func batch() -> ForwardBatch {
        let n = rowCount
        var inputs = [BatchInput](repeating: .token(root), count: n)
        var positions = [Int](repeating: base, count: n)
        var visible = [Bool](repeating: false, count: n * n)
        var seesPrompt = [Bool](repeating: false, count: n)
        for row in 0...nodes.count {
            inputs[row] = .token(token(ofRow: row))
            positions[row] = base + depth(ofRow: row)
            let ancestry = path(toRow: row)
            for a in ancestry { visible[row * n + a] = true }
            guard let g = groupStart[row] else { continue }
            for i in 0..<groupSize {
                let m = g + i
                inputs[m] = .embedding(i)
                positions[m] = base + depth(ofRow: row) + 1 + i
                seesPrompt[m] = true
                for a in ancestry { visible[m * n + a] = true }
                for j in 0...i { visible[m * n + g + j] = true }
            }
        }
        return ForwardBatch(inputs: inputs, positions: positions, visible: visible, seesPromptKV: seesPrompt)
    }
}
