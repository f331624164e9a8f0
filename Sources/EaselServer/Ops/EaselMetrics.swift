import EaselCore
import Prometheus

/// Prometheus metrics, kept in a registry of this app's own (not the process-global metrics system) so
/// several apps can live in one test process.
public final class EaselMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let jobDurationBuckets: [Double] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]
    private let requestBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60]

    /// Handles by name and labels: looking a metric up in the registry hashes and locks, so the hot paths
    /// (a few calls per job) keep what they made.
    private let histograms = Locked<[String: ValueHistogram]>([:])
    private let counters = Locked<[String: Prometheus.Counter]>([:])

    public init() {}

    private func histogram(_ name: String, _ labels: [(String, String)], _ buckets: [Double]) -> ValueHistogram {
        let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        if let found = histograms.withLock({ $0[key] }) { return found }
        let made = registry.makeValueHistogram(name: name, labels: labels, buckets: buckets)
        histograms.withLock { $0[key] = made }
        return made
    }

    private func counter(_ name: String, _ labels: [(String, String)]) -> Prometheus.Counter {
        let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        if let found = counters.withLock({ $0[key] }) { return found }
        let made = registry.makeCounter(name: name, labels: labels)
        counters.withLock { $0[key] = made }
        return made
    }

    /// Time from start to finish of a job, by model and outcome.
    public func jobFinished(model: String, outcome: String, seconds: Double) {
        histogram("easel_job_duration_seconds", [("model", model), ("outcome", outcome)], jobDurationBuckets).record(seconds)
        counter("easel_jobs_finished_total", [("model", model), ("outcome", outcome)]).increment()
    }

    /// Time a job waited in the queue before a worker took it.
    public func jobStarted(model: String, queueWaitSeconds: Double) {
        histogram("easel_job_queue_wait_seconds", [("model", model)], jobDurationBuckets).record(queueWaitSeconds)
    }

    public func jobEnqueued(model: String) {
        counter("easel_jobs_enqueued_total", [("model", model)]).increment()
    }

    public func providerCall(provider: String, model: String, outcome: String, seconds: Double) {
        histogram(
            "easel_provider_latency_seconds",
            [("provider", provider), ("model", model), ("outcome", outcome)],
            jobDurationBuckets
        ).record(seconds)
    }

    public func httpRequest(method: String, route: String, status: Int, seconds: Double) {
        histogram(
            "easel_http_request_duration_seconds",
            [("method", method), ("route", route), ("status", String(status))],
            requestBuckets
        ).record(seconds)
    }

    /// Sets the jobs-by-state gauges from a fresh count.
    public func setJobCounts(_ counts: [JobStatus: Int]) {
        for status in JobStatus.allCases {
            registry.makeGauge(name: "easel_jobs", labels: [("state", status.rawValue)]).set(Double(counts[status] ?? 0))
        }
    }

    /// Sets each provider's circuit gauges: open now (0/1), and how often it opened and closed again.
    public func setBreakers(_ breakers: [String: CircuitBreaker]) {
        for (provider, breaker) in breakers {
            let labels = [("provider", provider)]
            registry.makeGauge(name: "easel_provider_circuit_open", labels: labels).set(breaker.isOpen ? 1.0 : 0.0)
            registry.makeGauge(name: "easel_provider_circuit_opened", labels: labels).set(Double(breaker.timesOpened))
            registry.makeGauge(name: "easel_provider_circuit_reclosed", labels: labels).set(Double(breaker.timesReclosed))
        }
    }

    public func render() -> [UInt8] { registry.emitToBuffer() }
}
