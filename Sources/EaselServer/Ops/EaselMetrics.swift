import EaselCore
import Prometheus

/// Prometheus metrics, kept in a registry of this app's own (not the process-global metrics system) so
/// several apps can live in one test process.
public final class EaselMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let jobDurationBuckets: [Double] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]
    private let requestBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60]

    public init() {}

    /// Time from start to finish of a job, by model and outcome.
    public func jobFinished(model: String, outcome: String, seconds: Double) {
        registry.makeValueHistogram(
            name: "easel_job_duration_seconds", labels: [("model", model), ("outcome", outcome)], buckets: jobDurationBuckets
        ).record(seconds)
        registry.makeCounter(name: "easel_jobs_finished_total", labels: [("model", model), ("outcome", outcome)]).increment()
    }

    /// Time a job waited in the queue before a worker took it.
    public func jobStarted(model: String, queueWaitSeconds: Double) {
        registry.makeValueHistogram(name: "easel_job_queue_wait_seconds", labels: [("model", model)], buckets: jobDurationBuckets)
            .record(queueWaitSeconds)
    }

    public func jobEnqueued(model: String) {
        registry.makeCounter(name: "easel_jobs_enqueued_total", labels: [("model", model)]).increment()
    }

    public func providerCall(provider: String, model: String, outcome: String, seconds: Double) {
        registry.makeValueHistogram(
            name: "easel_provider_latency_seconds", labels: [("provider", provider), ("model", model), ("outcome", outcome)],
            buckets: jobDurationBuckets
        ).record(seconds)
    }

    public func httpRequest(method: String, route: String, status: Int, seconds: Double) {
        registry.makeValueHistogram(
            name: "easel_http_request_duration_seconds",
            labels: [("method", method), ("route", route), ("status", String(status))], buckets: requestBuckets
        ).record(seconds)
    }

    /// Sets the jobs-by-state gauges from a fresh count.
    public func setJobCounts(_ counts: [JobStatus: Int]) {
        for status in JobStatus.allCases {
            registry.makeGauge(name: "easel_jobs", labels: [("state", status.rawValue)]).set(Double(counts[status] ?? 0))
        }
    }

    public func render() -> [UInt8] { registry.emitToBuffer() }
}
