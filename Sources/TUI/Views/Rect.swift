/// A rectangle of cells: `row`, `column` of the top-left corner, `width` x `height` cells.
struct Rect: Hashable {
    var row: Int
    var column: Int
    var width: Int
    var height: Int

    var bottom: Int { row + height }
    var right: Int { column + width }
    var isEmpty: Bool { width <= 0 || height <= 0 }
}
