/// Teacher-forced top-1 agreement: at each scored position both engines saw the same true
/// prefix; do they rank the same token first? Disagreements keep both margins so that
/// near-ties (a tiny top-1/top-2 gap in either engine) can be told from real differences.
public struct TopOneAgreement: Sendable {
    public struct Disagreement: Sendable {
        /// Index of the scored position in the whole run.
        public var position: Int
        public var ours: Int32
        public var reference: Int32
        /// Our top-1 minus top-2 logit there.
        public var ourMargin: Float
        /// The reference's top-1 minus top-2 logit there (nil when unknown).
        public var referenceMargin: Float?
    }

    public private(set) var compared = 0
    public private(set) var agreed = 0
    public private(set) var disagreements: [Disagreement] = []

    public init() {}

    /// Compares scored positions `offset ..< offset + ours.count`.
    public mutating func add(ours: [Int32], ourMargins: [Float], reference: ArraySlice<Int32>,
                             referenceMargins: ArraySlice<Float>?, offset: Int) {
        precondition(ours.count == reference.count && ourMargins.count == ours.count)
        for (k, id) in ours.enumerated() {
            let r = reference[reference.startIndex + k]
            compared += 1
            if id == r { agreed += 1; continue }
            disagreements.append(Disagreement(position: offset + k, ours: id, reference: r, ourMargin: ourMargins[k],
                                              referenceMargin: referenceMargins.map { $0[$0.startIndex + k] }))
        }
    }

    /// Fraction of positions with the same top-1 token.
    public var rate: Double { compared == 0 ? 0 : Double(agreed) / Double(compared) }

    /// The reference's largest top-1/top-2 gap among the disagreements: how strongly it preferred
    /// a token we did not rank first (nil without disagreements or margins).
    public var largestReferenceMargin: Float? { disagreements.compactMap(\.referenceMargin).max() }

    /// Disagreements where either engine's top-2 gap is below `threshold` logits.
    public func nearTies(below threshold: Float) -> Int {
        disagreements.filter { $0.ourMargin < threshold || ($0.referenceMargin ?? .infinity) < threshold }.count
    }
}
