import EaselCore

/// An RGBA, 8-bit, straight-alpha pixel buffer with the few anti-aliased primitives the draft renderer
/// needs. Drawing here (rather than through libvips' in-place draw calls) keeps each shape one tight loop
/// over its bounding box.
public struct PixelCanvas: Sendable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
        self.pixels = [UInt8](repeating: 0, count: width * height * 4)
    }

    /// Fills every pixel with a vertical gradient; `alpha` 0 leaves a transparent background.
    public mutating func fillVerticalGradient(top: RGB, bottom: RGB, alpha: Double) {
        let a = UInt8(max(0, min(255, (alpha * 255).rounded())))
        let w = width
        let h = height
        pixels.withUnsafeMutableBufferPointer { buffer in
            for y in 0..<h {
                let t = h > 1 ? Double(y) / Double(h - 1) : 0
                let (r, g, b) = top.mixed(with: bottom, t).bytes
                var index = y * w * 4
                for _ in 0..<w {
                    buffer[index] = r
                    buffer[index + 1] = g
                    buffer[index + 2] = b
                    buffer[index + 3] = a
                    index += 4
                }
            }
        }
    }

    /// Blends a colour at coverage `alpha` (0...256) over one pixel: the "over" operator on straight alpha.
    /// Opaque destinations (almost every pixel of a draft) take an integer fast path.
    @inline(__always)
    static func blend(_ buffer: inout UnsafeMutableBufferPointer<UInt8>, _ index: Int, _ cr: Int32, _ cg: Int32, _ cb: Int32, _ alpha: Int32) {
        if alpha <= 0 { return }
        let da = Int32(buffer[index + 3])
        if da == 255 || alpha >= 256 {
            let keep = 256 - alpha
            buffer[index] = UInt8(truncatingIfNeeded: (Int32(buffer[index]) * keep + cr * alpha + 128) >> 8)
            buffer[index + 1] = UInt8(truncatingIfNeeded: (Int32(buffer[index + 1]) * keep + cg * alpha + 128) >> 8)
            buffer[index + 2] = UInt8(truncatingIfNeeded: (Int32(buffer[index + 2]) * keep + cb * alpha + 128) >> 8)
            if alpha >= 256 { buffer[index + 3] = 255 }
            return
        }
        // Translucent destination (transparent backgrounds): full straight-alpha compositing.
        let a = Float(alpha) / 256
        let d = Float(da) / 255
        let outA = a + d * (1 - a)
        let keep = d * (1 - a)
        buffer[index] = UInt8(min(255, (Float(cr) * a + Float(buffer[index]) * keep) / outA + 0.5))
        buffer[index + 1] = UInt8(min(255, (Float(cg) * a + Float(buffer[index + 1]) * keep) / outA + 0.5))
        buffer[index + 2] = UInt8(min(255, (Float(cb) * a + Float(buffer[index + 2]) * keep) / outA + 0.5))
        buffer[index + 3] = UInt8(min(255, outA * 255 + 0.5))
    }

    /// Runs `coverage` over the pixels of a bounding box and blends where it is positive.
    mutating func paint(
        minX: Double,
        minY: Double,
        maxX: Double,
        maxY: Double,
        color: RGB,
        alpha: Double,
        coverage: (Double, Double) -> Double
    ) {
        let x0 = max(0, Int(minX.rounded(.down)))
        let y0 = max(0, Int(minY.rounded(.down)))
        let x1 = min(width - 1, Int(maxX.rounded(.up)))
        let y1 = min(height - 1, Int(maxY.rounded(.up)))
        guard x0 <= x1, y0 <= y1 else { return }
        let (r, g, b) = color.bytes
        let cr = Int32(r)
        let cg = Int32(g)
        let cb = Int32(b)
        let a = alpha * 256
        let w = width
        pixels.withUnsafeMutableBufferPointer { buffer in
            for y in y0...y1 {
                let py = Double(y) + 0.5
                var index = (y * w + x0) * 4
                for x in x0...x1 {
                    let cover = coverage(Double(x) + 0.5, py)
                    if cover > 0 {
                        PixelCanvas.blend(&buffer, index, cr, cg, cb, Int32(a * min(1, cover)))
                    }
                    index += 4
                }
            }
        }
    }

    public mutating func fillCircle(cx: Double, cy: Double, r: Double, color: RGB, alpha: Double) {
        paint(minX: cx - r - 1, minY: cy - r - 1, maxX: cx + r + 1, maxY: cy + r + 1, color: color, alpha: alpha) { x, y in
            let d = ((x - cx) * (x - cx) + (y - cy) * (y - cy)).squareRoot()
            return r - d + 0.5  // one pixel of soft edge
        }
    }

    /// A radial glow: opaque-ish at the centre, fading to nothing at radius `r`.
    public mutating func fillGlow(cx: Double, cy: Double, r: Double, color: RGB, alpha: Double) {
        paint(minX: cx - r, minY: cy - r, maxX: cx + r, maxY: cy + r, color: color, alpha: alpha) { x, y in
            let d = ((x - cx) * (x - cx) + (y - cy) * (y - cy)).squareRoot() / r
            return d >= 1 ? 0 : (1 - d) * (1 - d)
        }
    }

    public mutating func fillRect(x: Double, y: Double, w: Double, h: Double, color: RGB, alpha: Double) {
        let right = x + w
        let bottom = y + h
        let x0 = max(0, Int(x.rounded(.down)))
        let y0 = max(0, Int(y.rounded(.down)))
        let x1 = min(width - 1, Int(right.rounded(.up)) - 1)
        let y1 = min(height - 1, Int(bottom.rounded(.up)) - 1)
        guard x0 <= x1, y0 <= y1 else { return }
        // Coverage is separable: fractional only on the edge columns and rows, which keeps thin stripes smooth.
        func cover(_ p: Int, _ low: Double, _ high: Double) -> Double {
            max(0, min(Double(p + 1), high) - max(Double(p), low))
        }
        let columns = (x0...x1).map { Int32(cover($0, x, right) * alpha * 256) }
        let (r, g, b) = color.bytes
        let cr = Int32(r)
        let cg = Int32(g)
        let cb = Int32(b)
        let stride = width
        pixels.withUnsafeMutableBufferPointer { buffer in
            for py in y0...y1 {
                let rowCover = cover(py, y, bottom)
                var index = (py * stride + x0) * 4
                for column in columns {
                    PixelCanvas.blend(&buffer, index, cr, cg, cb, Int32(Double(column) * rowCover))
                    index += 4
                }
            }
        }
    }

    public mutating func fillTriangle(_ p0: (Double, Double), _ p1: (Double, Double), _ p2: (Double, Double), color: RGB, alpha: Double) {
        let area = (p1.0 - p0.0) * (p2.1 - p0.1) - (p2.0 - p0.0) * (p1.1 - p0.1)
        guard abs(area) > 1e-9 else { return }
        let sign = area > 0 ? 1.0 : -1.0
        // Signed distance to each edge, positive inside.
        func edge(_ a: (Double, Double), _ b: (Double, Double)) -> (Double, Double, Double) {
            let dx = b.0 - a.0
            let dy = b.1 - a.1
            let length = (dx * dx + dy * dy).squareRoot()
            return (-dy / length * sign, dx / length * sign, (dy * a.0 - dx * a.1) / length * sign)
        }
        let e0 = edge(p0, p1)
        let e1 = edge(p1, p2)
        let e2 = edge(p2, p0)
        let minX = min(p0.0, p1.0, p2.0) - 1
        let maxX = max(p0.0, p1.0, p2.0) + 1
        let minY = min(p0.1, p1.1, p2.1) - 1
        let maxY = max(p0.1, p1.1, p2.1) + 1
        paint(minX: minX, minY: minY, maxX: maxX, maxY: maxY, color: color, alpha: alpha) { x, y in
            let d0 = e0.0 * x + e0.1 * y + e0.2
            let d1 = e1.0 * x + e1.1 * y + e1.2
            let d2 = e2.0 * x + e2.1 * y + e2.2
            return min(d0, d1, d2) + 0.5
        }
    }

    /// Blends a one-band coverage mask (255 = full) in `color` with its top-left corner at (x, y).
    public mutating func fillMask(_ mask: [UInt8], maskWidth: Int, maskHeight: Int, x: Int, y: Int, color: RGB, alpha: Double) {
        let (r, g, b) = color.bytes
        let cr = Int32(r)
        let cg = Int32(g)
        let cb = Int32(b)
        let a = Int32(alpha * 256)
        let w = width
        let h = height
        pixels.withUnsafeMutableBufferPointer { buffer in
            for my in 0..<maskHeight {
                let py = y + my
                guard py >= 0 && py < h else { continue }
                for mx in 0..<maskWidth {
                    let px = x + mx
                    guard px >= 0 && px < w else { continue }
                    let cover = mask[my * maskWidth + mx]
                    if cover > 0 {
                        PixelCanvas.blend(&buffer, (py * w + px) * 4, cr, cg, cb, (a * Int32(cover) + 127) / 255)
                    }
                }
            }
        }
    }

    /// Draws a scene shape given in normalised coordinates.
    public mutating func draw(_ shape: DraftShape) {
        let w = Double(width)
        let h = Double(height)
        let unit = Double(min(width, height))
        switch shape {
        case .band(let y0, let y1, let color, let alpha):
            fillRect(x: 0, y: y0 * h, w: w, h: (y1 - y0) * h, color: color, alpha: alpha)
        case .rect(let x, let y, let rw, let rh, let color, let alpha):
            fillRect(x: x * w, y: y * h, w: rw * w, h: rh * h, color: color, alpha: alpha)
        case .circle(let cx, let cy, let r, let color, let alpha):
            fillCircle(cx: cx * w, cy: cy * h, r: max(0.6, r * unit), color: color, alpha: alpha)
        case .glow(let cx, let cy, let r, let color, let alpha):
            fillGlow(cx: cx * w, cy: cy * h, r: max(1, r * unit), color: color, alpha: alpha)
        case .triangle(let x0, let y0, let x1, let y1, let x2, let y2, let color, let alpha):
            fillTriangle((x0 * w, y0 * h), (x1 * w, y1 * h), (x2 * w, y2 * h), color: color, alpha: alpha)
        }
    }
}

extension PixelCanvas {
    /// A copy where each `block`×`block` square holds its average colour: the coarse look of an early
    /// partial image.
    public func pixelated(block: Int) -> PixelCanvas {
        var out = self
        let w = width
        let h = height
        let source = pixels
        out.pixels.withUnsafeMutableBufferPointer { target in
            source.withUnsafeBufferPointer { src in
                var by = 0
                while by < h {
                    let yEnd = min(h, by + block)
                    var bx = 0
                    while bx < w {
                        let xEnd = min(w, bx + block)
                        var sums = (0, 0, 0, 0)
                        for y in by..<yEnd {
                            var index = (y * w + bx) * 4
                            for _ in bx..<xEnd {
                                sums.0 += Int(src[index])
                                sums.1 += Int(src[index + 1])
                                sums.2 += Int(src[index + 2])
                                sums.3 += Int(src[index + 3])
                                index += 4
                            }
                        }
                        let count = (yEnd - by) * (xEnd - bx)
                        let value = (UInt8(sums.0 / count), UInt8(sums.1 / count), UInt8(sums.2 / count), UInt8(sums.3 / count))
                        for y in by..<yEnd {
                            var index = (y * w + bx) * 4
                            for _ in bx..<xEnd {
                                target[index] = value.0
                                target[index + 1] = value.1
                                target[index + 2] = value.2
                                target[index + 3] = value.3
                                index += 4
                            }
                        }
                        bx += block
                    }
                    by += block
                }
            }
        }
        return out
    }
}
