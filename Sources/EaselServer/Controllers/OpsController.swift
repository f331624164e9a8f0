import EaselCore
import Foundation
import Hummingbird

/// Liveness, readiness and Prometheus metrics (public: probes and scrapers carry no key).
struct OpsController {
    let jobs: JobService
    let running: RunningJobs
    let metrics: EaselMetrics
    /// The providers' circuit breakers, read when metrics are scraped.
    let breakers: @Sendable () -> [String: CircuitBreaker]

    func addRoutes(to router: some RouterMethods<EaselRequestContext>) {
        router.get("/healthz") { _, _ -> JSONValue in .object(["status": "ok"]) }
        router.get("/readyz", use: ready)
        router.get("/metrics", use: render)
    }

    /// Ready when the database answers.
    @Sendable func ready(_ request: Request, context: EaselRequestContext) async throws -> Response {
        do {
            let counts = try await jobs.countsByStatus()
            return .json(
                .object([
                    "status": "ready",
                    "queued": .int(counts[.queued] ?? 0),
                    "running": .int(counts[.running] ?? 0),
                    "running_here": .int(running.count),
                ])
            )
        } catch {
            context.logger.error("readiness check failed", metadata: ["error": "\(error)"])
            return .json(.object(["status": "unavailable", "reason": "database not answering"]), status: .serviceUnavailable)
        }
    }

    @Sendable func render(_ request: Request, context: EaselRequestContext) async throws -> Response {
        metrics.setJobCounts(try await jobs.countsByStatus())
        metrics.setBreakers(breakers())
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: metrics.render()))
        )
    }
}
