import Testing
@testable import Inference

/// Lean tree shapes: one mask group, on the deepest top-1 draft, instead of one per node.
@Suite struct LeanTreeTests {
    @Test func parsesCountsRowsAndPrints() throws {
        let lean = try TreeShape(parsing: "1/g1/lean", maskCount: 3)
        #expect(lean.lean && lean.candidates == [1] && lean.groupSize == 1)
        #expect(lean.rowCount == 3)  // root, draft, one mask
        #expect(lean.description == "1/g1/lean")
        #expect(try TreeShape(parsing: lean.description, maskCount: 3) == lean)
        #expect(try TreeShape(parsing: "1/g1", maskCount: 3).rowCount == 4)
        #expect(try TreeShape(parsing: "1/g1", maskCount: 3) != lean)

        // The group size defaults to the depth, as without /lean.
        let chain = try TreeShape(parsing: "2,1/lean", maskCount: 3)
        #expect(chain.groupSize == 2 && chain.rowCount == 1 + 3 + 2)
        #expect(try TreeShape(parsing: " 3,2,1/G3/LEAN ", maskCount: 3).rowCount == 1 + 6 + 3)

        #expect(throws: TreeShapeError.self) { try TreeShape(parsing: "1/g0/lean", maskCount: 3) }
        #expect(throws: TreeShapeError.self) { try TreeShape(parsing: "1/lean/g1", maskCount: 3) }
        #expect(throws: TreeShapeError.self) { try TreeShape(parsing: "lean", maskCount: 3) }
    }

    @Test func onlyTheDeepestTopDraftCarriesTheGroup() {
        // Depth 1: tokens 10, 11 (rows 1, 2); depth 2: 20 (row 3, child of row 1).
        let tree = DraftTree(base: 5, root: 9, candidatesByDepth: [[10, 11], [20]], groupSize: 2, lean: true)
        #expect(tree.rowCount == 1 + 3 + 2)
        #expect(tree.groupStart == [nil, nil, nil, 4])
        let full = DraftTree(base: 5, root: 9, candidatesByDepth: [[10, 11], [20]], groupSize: 2)
        #expect(full.groupStart == [4, 6, 8, 10] && full.rowCount == 12)

        let batch = tree.batch()
        let n = tree.rowCount
        // Masks sit after row 3 (position base + 2) and see its path root -> 10 -> 20, their own
        // earlier masks, and the prompt K/V; the drafts do not see the masks.
        #expect(batch.positions == [5, 6, 6, 7, 8, 9])
        for (m, ownMasks) in [(4, [4]), (5, [4, 5])] {
            let sees = (0..<n).filter { batch.visible[m * n + $0] }
            #expect(sees == [0, 1, 3] + ownMasks)
            #expect(batch.seesPromptKV[m])
        }
        for row in 0...3 {
            #expect(!batch.seesPromptKV[row])
            #expect(!(4..<n).contains { batch.visible[row * n + $0] })
        }
    }

    @Test func withoutDraftsTheRootCarriesTheGroup() {
        let tree = DraftTree(base: 0, root: 3, candidatesByDepth: [], groupSize: 1, lean: true)
        #expect(tree.rowCount == 2)
        #expect(tree.groupStart == [1])
    }
}
