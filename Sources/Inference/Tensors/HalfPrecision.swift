// Conversions of the 16-bit float formats stored in GGUF files (IEEE binary16 block scales and
// F16 tensors, bfloat16 tensors) to Float. Both conversions are exact.

/// IEEE binary16 bits -> Float, by bit manipulation (the reference; no hardware support needed).
@inline(__always)
func floatFromHalfBitsReference(_ h: UInt16) -> Float {
    let sign: UInt32 = UInt32(h & 0x8000) << 16
    let exponent = UInt32(h >> 10) & 0x1F
    let mantissa = UInt32(h & 0x3FF)
    if exponent == 0 {
        // Zero or subnormal: mantissa * 2^-24, exact in Float.
        let magnitude = Float(mantissa) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
    }
    if exponent == 31 {
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))  // inf / NaN (payload kept)
    }
    return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
}

/// IEEE binary16 bits -> Float through `Float16` (one `vcvtph2ps` when the target has F16C).
@inline(__always)
func floatFromHalfBits(_ h: UInt16) -> Float {
    Float(Float16(bitPattern: h))
}

/// bfloat16 bits -> Float: the top half of a binary32.
@inline(__always)
func floatFromBFloat16Bits(_ h: UInt16) -> Float {
    Float(bitPattern: UInt32(h) << 16)
}

/// Float -> nearest binary16 -> Float (ties to even), i.e. the value a binary16 field would hold.
@inline(__always)
func roundedToHalfPrecision(_ x: Float) -> Float {
    Float(Float16(x))
}
