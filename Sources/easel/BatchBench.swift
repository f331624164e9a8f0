import EaselCore
import EaselProviders
import EaselServer
import Foundation
import Logging

/// `easel bench --only batch`: a 1,000-row CSV batch of the product-hero template with two variants per row
/// (2,000 items), compiled and expanded (a dry run), then submitted into the queue with no worker running,
/// so only planning, admission and the inserts are timed.
struct BatchBench {
    let rows = 1000

    func run() async throws {
        try await BenchRuntime.with { runtime, _ in try await measure(runtime) }
    }

    func measure(_ runtime: EaselRuntime) async throws {
        var csv = "product,setting\n"
        for row in 0..<rows { csv += "\"a {red|blue} mug no. \(row)\",on a desk\n" }
        let spec: [String: JSONValue] = ["template": "product-hero", "size": "1024x1024"]

        var planTimes: [Double] = []
        var count = 0
        for _ in 0..<5 {
            let start = ContinuousClock.now
            count = try await runtime.dryRunBatch(spec, csv: Array(csv.utf8)).count
            planTimes.append((ContinuousClock.now - start).milliseconds)
        }
        let plan = Stats(planTimes)
        print(
            String(format: "batch: compile + expand %d rows into %d items: median %.1f ms, min %.1f ms", rows, count, plan.median, plan.percentile(0))
        )

        let start = ContinuousClock.now
        let (_, total) = try await runtime.startBatch(spec, csv: Array(csv.utf8))
        let seconds = (ContinuousClock.now - start).seconds
        print(String(format: "batch: submit %d items (plan, admit, queue): %.2f s, %.0f items/s", total, seconds, Double(total) / seconds))
    }
}
