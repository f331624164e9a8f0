import ArgumentParser
import EaselCore
import EaselServer
import Foundation
import Hummingbird
import ServiceLifecycle

/// `easel generate "prompt" -o out.png`: queues a job in the local data directory, runs it in this process
/// and writes the file, showing progress on a terminal.
struct Generate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Generate an image from the command line.")

    @OptionGroup var common: CommonOptions

    @Argument(help: "What to draw (or use --template).")
    var prompt: String?

    @Option(help: "A template (blog-banner, product-hero, paid-social, ecommerce-scene, app-onboarding, or tpl_… of your own).")
    var template: String?

    @Option(name: .customLong("var"), help: "A template variable as name=value (repeatable).")
    var variables: [String] = []

    @Option(name: .shortAndLong, help: "Output file. With --n above 1, -2, -3 … are added before the extension.")
    var output: String

    @Option(help: "Model (see GET /v1/models).")
    var model: String?

    @Option(help: "WIDTHxHEIGHT or auto (with a template: its format decides unless given).")
    var size: String?

    @Option(help: "png, jpeg or webp. Default: from the output file's extension, else png.")
    var format: String?

    @Option(help: "low, medium, high or auto.")
    var quality: String?

    @Option(help: "0-100 for jpeg and webp (100 = best quality).")
    var compression: Int?

    @Option(help: "transparent, opaque or auto.")
    var background: String = "auto"

    @Option(help: "How many images.")
    var n: Int?

    @Option(help: "Seed, for a reproducible draft.")
    var seed: UInt64?

    func run() async throws {
        var config = try common.config()
        // A command-line tool stays quiet unless asked: its output is the progress line.
        if common.logLevel == nil && ProcessInfo.processInfo.environment["EASEL_LOG_LEVEL"] == nil { config.logLevel = .warning }
        let logger = try common.bootstrapLogging(config)
        let runtime = try await EaselRuntime.open(config: config, logger: logger)
        let chosenFormat = format ?? Self.format(forPath: output) ?? "png"

        var body: [String: JSONValue] = ["output_format": .string(chosenFormat), "background": .string(background)]
        if let prompt { body["prompt"] = .string(prompt) }
        if let size { body["size"] = .string(size) }
        if let quality { body["quality"] = .string(quality) }
        if let n { body["n"] = .int(n) }
        if let model { body["model"] = .string(model) }
        if let compression { body["output_compression"] = .int(compression) }
        if let seed { body["seed"] = .number(Double(seed)) }
        let submission: JobService.Submission
        do {
            switch (prompt, template) {
            case (nil, nil): throw ValidationError("Give a prompt, or a --template with its --var values.")
            case (.some, .some): throw ValidationError("Give a prompt or a --template, not both.")
            default: break
            }
            if let template {
                body["template"] = .string(template)
                body["variables"] = .object(try Self.variables(variables).mapValues(JSONValue.string))
            }
            submission = try await Self.submission(body, runtime: runtime)
        } catch {
            try await runtime.close()
            throw error
        }
        let request = submission.payload.request

        let progress = ProgressIndicator(interactive: isatty(1) != 0)
        let group = ServiceGroup(configuration: .init(services: runtime.workerServices(), logger: logger))
        let result: Result<[String], any Error> = await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try? await group.run() }
            defer { Task { await group.triggerGracefulShutdown() } }
            do {
                var streaming = request
                streaming.stream = true
                streaming.partialImages = 2
                var streamed = submission
                streamed.payload.request = streaming
                let submitted = try await runtime.jobService.submit(streamed, delivery: .stream)
                guard let watch = submitted.watch else { return .failure(CLIError("the job could not be followed")) }
                progress.update("queued", detail: submitted.job.id)
                var partials = 0
                for await event in runtime.jobService.events(of: watch) {
                    switch event {
                    case .partial:
                        partials += 1
                        progress.update("rendering", detail: "preview \(partials)")
                    case .running:
                        progress.update("running", detail: nil)
                    case .retrying(let job):
                        progress.update("retrying", detail: job.lastError?.message)
                    default:
                        guard let job = event.job, job.status.isTerminal else { continue }
                        if job.status != .succeeded {
                            progress.finish(nil)
                            return .failure(CLIError("\(job.status.rawValue): \(job.lastError?.message ?? "cancelled")"))
                        }
                        let outputs = try await runtime.jobService.outputs(of: job, inMemory: event.outputs)
                        var written: [String] = []
                        for (index, output) in outputs.enumerated() {
                            let path = Self.path(output: self.output, index: index, count: outputs.count)
                            try output.data?.write(to: URL(fileURLWithPath: path))
                            written.append(
                                "\(path) (\(output.asset.width)x\(output.asset.height) \(output.asset.format.rawValue)\(output.asset.isDraft ? ", draft — not AI" : ""))"
                            )
                        }
                        progress.finish("done")
                        return .success(written)
                    }
                }
                return .failure(CLIError("the job stopped without a result"))
            } catch {
                progress.finish(nil)
                return .failure(error)
            }
        }
        await group.triggerGracefulShutdown()
        try? await runtime.close()
        for line in try result.get() { print("wrote \(line)") }
    }

    /// Checks the options with the same rules as the HTTP door, naming the flag at fault.
    static func submission(_ body: [String: JSONValue], runtime: EaselRuntime) async throws -> JobService.Submission {
        do {
            return try await runtime.operatorSubmission(body)
        } catch let error as EaselError {
            throw CLIError(flag(error.param) + error.message)
        }
    }

    /// The option an error's param stands for (`output_format` → `--format`, `variables.x` → `--var x=…`).
    static func flag(_ param: String?) -> String {
        guard let param else { return "" }
        if param.hasPrefix("variables.") { return "--var \(param.dropFirst("variables.".count))=…: " }
        // The API names CSV problems `csv` or `csv.row[N]…`; here the CSV is the --rows file.
        if param == "csv" || param.hasPrefix("csv.") { return "--rows (\(param.dropFirst(3).drop(while: { $0 == "." }))): " }
        return "--" + param.replacingOccurrences(of: "output_", with: "").replacingOccurrences(of: "_", with: "-") + ": "
    }

    /// `name=value` pairs.
    static func variables(_ pairs: [String]) throws -> [String: String] {
        var values: [String: String] = [:]
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ValidationError("--var takes name=value, not '\(pair)'.")
            }
            values[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        return values
    }

    static func format(forPath path: String) -> String? {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "png": "png"
        case "jpg", "jpeg": "jpeg"
        case "webp": "webp"
        default: nil
        }
    }

    static func path(output: String, index: Int, count: Int) -> String {
        guard count > 1, index > 0 else { return output }
        let url = URL(fileURLWithPath: output)
        let ext = url.pathExtension
        let stem = url.deletingPathExtension().path
        return ext.isEmpty ? "\(stem)-\(index + 1)" : "\(stem)-\(index + 1).\(ext)"
    }
}
