import EaselCore
import EaselImaging
import Foundation

/// `easel bench --only imaging`: decode, 256-px thumbnail and WebP (q80) of photo-like PNGs and JPEGs at 1024²
/// and 2048², through Easel's thumbnailer and, in the same run, through Pillow (when python3 has it) doing the
/// same work with the same WebP effort. One image at a time on one thread, then both cores.
struct ImagingBench {
    let rounds: Int

    struct Sample {
        let name: String
        let format: ImageFormat
        let path: String
        let data: Data
    }

    func run() throws {
        try Vips.setThreads(1)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("easel-imaging-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let samples = try makeSamples(in: folder)

        let pillow = PillowRun(samples: samples, rounds: rounds)
        print("imaging: decode + 256-px thumbnail + WebP q80, one image at a time, one thread (median ms)")
        var easelTotals: [ImageFormat: Double] = [:]
        var pillowTotals: [ImageFormat: Double] = [:]
        for sample in samples {
            let easel = try median { _ = try Thumbnailer.webp(fromEncoded: sample.data) }
            let loader = try median { _ = try Thumbnailer.webp(from: try RasterImage.decode(sample.data)) }
            let psnr = try thumbnailPSNR(sample.data)
            var line = String(format: "  %@: Easel %.1f ms (before, libvips' loader: %.1f ms), PSNR %.1f dB", sample.name, easel, loader, psnr)
            if let theirs = pillow.medians[sample.name] {
                line += String(format: ", Pillow %.1f ms: %.2fx Pillow", theirs, theirs / easel)
                easelTotals[sample.format, default: 0] += easel
                pillowTotals[sample.format, default: 0] += theirs
            }
            print(line)
        }
        for format in [ImageFormat.png, .jpeg] {
            guard let easel = easelTotals[format], let theirs = pillowTotals[format] else { continue }
            let ratio = theirs / easel
            print(String(format: "  %@ overall: %.2fx Pillow's rate (target ≥ 2: %@)", format.rawValue, ratio, ratio >= 2 ? "met" : "missed"))
        }
        if pillow.medians.isEmpty { print("  Pillow: not measured (\(pillow.problem ?? "no output"))") }

        let started = ContinuousClock.now
        let made = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            for _ in 0..<rounds {
                for sample in samples {
                    if (try? Thumbnailer.webp(fromEncoded: sample.data)) != nil { made.withLock { $0 += 1 } }
                }
            }
        }
        let rate = Double(made.withLock { $0 }) / (ContinuousClock.now - started).seconds
        var both = String(format: "imaging: both cores (two at a time, the mix above): Easel %.1f thumbnails/s", rate)
        if let theirs = pillow.bothCoresRate { both += String(format: ", Pillow (two processes) %.1f/s: %.2fx", theirs, rate / theirs) }
        print(both)
    }

    func makeSamples(in folder: URL) throws -> [Sample] {
        var samples: [Sample] = []
        for edge in [1024, 2048] {
            let raster = try PhotoLikeImage.make(width: edge, height: edge, seed: UInt64(edge))
            for format in [ImageFormat.png, .jpeg] {
                // PNG as most encoders write it (zlib level 6, a filter chosen per row); JPEG at quality 90.
                let data = try ImageEncoder.encode(raster, format: format, compression: 90, pngLevel: 6, pngFilter: .adaptive)
                let name = "\(format.rawValue) \(edge)x\(edge)"
                let path = folder.appendingPathComponent("\(edge).\(format.rawValue)").path
                try data.write(to: URL(fileURLWithPath: path))
                samples.append(Sample(name: name, format: format, path: path, data: data))
            }
        }
        return samples
    }

    /// The thumbnail against a reference: libvips' full decode and Lanczos downscale of the same file.
    func thumbnailPSNR(_ data: Data) throws -> Double {
        let ours = try RasterImage.decode(try Thumbnailer.webp(fromEncoded: data))
        let reference = try RasterImage.decode(data).thumbnail(maxEdge: Thumbnailer.maxEdge)
        return try ours.psnr(against: reference)
    }

    func median(_ body: () throws -> Void) throws -> Double {
        var times: [Double] = []
        for _ in 0..<(rounds + 1) {
            let start = ContinuousClock.now
            try body()
            times.append((ContinuousClock.now - start).milliseconds)
        }
        return Stats(Array(times.dropFirst())).median
    }
}

/// Pillow doing the same work: `Image.thumbnail` (its draft mode shrinks JPEGs on load) and WebP q80 at
/// method 0, the effort Easel's thumbnails use. Both cores: two Python processes at once.
struct PillowRun {
    var medians: [String: Double] = [:]
    var bothCoresRate: Double?
    var problem: String?

    static let script = """
        from io import BytesIO
        from json import dumps
        from sys import argv
        from time import perf_counter
        from PIL import Image
        def thumb(data):
            image = Image.open(BytesIO(data))
            image.thumbnail((256, 256))
            out = BytesIO()
            image.save(out, "WEBP", quality=80, method=0)
        mode, rounds = argv[1], int(argv[2])
        files = [(name, open(path, "rb").read()) for name, path in zip(argv[3::2], argv[4::2])]
        medians = {}
        if mode == "medians":
            for name, data in files:
                times = []
                for _ in range(rounds + 1):
                    start = perf_counter()
                    thumb(data)
                    times.append((perf_counter() - start) * 1000)
                times = sorted(times[1:])
                medians[name] = times[len(times) // 2]
        else:
            for _, data in files: thumb(data)
            start = perf_counter()
            for _ in range(rounds):
                for _, data in files: thumb(data)
            medians["seconds"] = perf_counter() - start
        print(dumps(medians))
        """

    init(samples: [ImagingBench.Sample], rounds: Int) {
        let files = samples.flatMap { [$0.name, $0.path] }
        do {
            medians = try Self.python(["medians", String(rounds)] + files)
            // Two loops over the same mix at once; the rate is over the slower of the two.
            let loops = try (0..<2).map { _ in try Self.start(["loop", String(rounds)] + files) }
            let seconds = try loops.map { try Self.finish($0)["seconds"] ?? 0 }.max() ?? 0
            if seconds > 0 { bothCoresRate = Double(2 * rounds * samples.count) / seconds }
        } catch {
            problem = "\(error)"
        }
    }

    struct Failed: Error, CustomStringConvertible {
        let description: String
    }

    static func python(_ arguments: [String]) throws -> [String: Double] {
        try finish(try start(arguments))
    }

    static func start(_ arguments: [String]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        return (process, output, errors)
    }

    static func finish(_ running: (Process, Pipe, Pipe)) throws -> [String: Double] {
        let (process, output, errors) = running
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let values = try? JSONDecoder().decode([String: Double].self, from: data) else {
            throw Failed(description: String(decoding: message, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? "python3 failed")
        }
        return values
    }
}
