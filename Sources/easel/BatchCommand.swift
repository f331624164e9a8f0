import ArgumentParser
import EaselCore
import EaselServer
import Foundation
import ServiceLifecycle

/// `easel batch --template product-hero --rows products.csv -o out/`: expands and runs a batch in this
/// process against the local data directory, shows its progress, and writes the images with
/// `manifest.csv` and `manifest.json` into the output directory. Exits 1 if any item failed.
struct BatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "batch", abstract: "Run a batch of a template over CSV rows.")

    @OptionGroup var common: CommonOptions

    @Option(help: "A template (built in, or tpl_… of your own).")
    var template: String?

    @Option(help: "A brief as a JSON file, instead of a template.")
    var brief: String?

    @Option(help: "A CSV file: a header of variable names, then one row per item.")
    var rows: String?

    @Option(name: .customLong("var"), help: "A variable for every row, as name=value (repeatable; a row's own value wins).")
    var variables: [String] = []

    @Option(help: "A model axis (repeatable): every item on each model.")
    var model: [String] = []

    @Option(help: "A size axis (repeatable): a format preset, W:H or WxH.")
    var size: [String] = []

    @Option(help: "Draw this many variants per row at random instead of listing every combination.")
    var random: Int?

    @Option(help: "Seed of the random variants.")
    var seed: UInt64?

    @Option(help: "low, medium, high or auto.")
    var quality: String?

    @Option(help: "png, jpeg or webp.")
    var format: String?

    @Option(help: "standard, or economy: through the provider's Batch API at its batch price (OpenAI: half), done within a day.")
    var serviceTier: String?

    @Option(name: .shortAndLong, help: "Directory for the images and the manifest.")
    var output: String

    func run() async throws {
        var config = try common.config()
        if common.logLevel == nil && ProcessInfo.processInfo.environment["EASEL_LOG_LEVEL"] == nil { config.logLevel = .warning }
        let logger = try common.bootstrapLogging(config)
        var spec: [String: JSONValue] = [:]
        switch (template, brief) {
        case (let template?, nil): spec["template"] = .string(template)
        case (nil, let path?):
            guard let data = FileManager.default.contents(atPath: path), let value = try? JSONParser.parse(Array(data)) else {
                throw ValidationError("--brief must name a readable JSON file.")
            }
            spec["brief"] = value
        default: throw ValidationError("Give --template or --brief.")
        }
        let csv: [UInt8]? = try rows.map { path in
            guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("--rows: cannot read \(path).") }
            return Array(data)
        }
        if !variables.isEmpty { spec["variables"] = .object(try Generate.variables(variables).mapValues(JSONValue.string)) }
        if !model.isEmpty { spec["models"] = .array(model.map(JSONValue.string)) }
        if !size.isEmpty { spec["sizes"] = .array(size.map(JSONValue.string)) }
        if let random { spec["variants"] = .object(["mode": "random", "count": .int(random), "seed": seed.map { .number(Double($0)) } ?? .null]) }
        if let quality { spec["quality"] = .string(quality) }
        if let format { spec["output_format"] = .string(format) }
        if let serviceTier { spec["service_tier"] = .string(serviceTier) }

        let runtime = try await EaselRuntime.open(config: config, logger: logger)
        let progress = ProgressIndicator(interactive: isatty(1) != 0)
        let group = ServiceGroup(configuration: .init(services: runtime.workerServices(), logger: logger))
        let result: Result<(Int, EaselRuntime.BatchProgress), any Error> = await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try? await group.run() }
            defer { Task { await group.triggerGracefulShutdown() } }
            do {
                let (id, total) = try await runtime.startBatch(spec, csv: csv)
                progress.update("queued", detail: "\(total) items · \(id)")
                var state = try await runtime.batchProgress(id)
                while !state.isFinished {
                    try await Task.sleep(for: .milliseconds(200))
                    state = try await runtime.batchProgress(id)
                    let eta = state.etaSeconds.map { " · about \($0) s left" } ?? ""
                    progress.update("running", detail: "\(state.finished)/\(state.total) done, \(state.failed) failed\(eta)")
                }
                let written = try await runtime.saveBatch(id, to: URL(fileURLWithPath: output))
                progress.finish("done")
                return .success((written, state))
            } catch let error as EaselError {
                progress.finish(nil)
                return .failure(CLIError(Generate.flag(error.param) + error.message))
            } catch {
                progress.finish(nil)
                return .failure(error)
            }
        }
        await group.triggerGracefulShutdown()
        try? await runtime.close()
        let (written, state) = try result.get()
        print("wrote \(written) images and manifest.csv, manifest.json to \(output) (\(state.succeeded) succeeded, \(state.failed) failed)")
        if state.failed > 0 { throw ExitCode(1) }
    }
}
