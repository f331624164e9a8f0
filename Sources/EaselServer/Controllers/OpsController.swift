import EaselCore
import Foundation
import Hummingbird

/// Liveness, readiness and Prometheus metrics.
struct OpsController {
    let runtime: EaselRuntime

    func addRoutes(to router: Router<EaselRequestContext>) {
        router.get("/healthz") { _, _ -> JSONValue in .object(["status": "ok"]) }
        router.get("/readyz", use: ready)
        router.get("/metrics", use: metrics)
    }

    /// Ready when the database answers.
    @Sendable func ready(_ request: Request, context: EaselRequestContext) async throws -> Response {
        do {
            let counts = try await runtime.jobStore.countsByStatus()
            return .json(.object([
                "status": "ready",
                "queued": .int(counts[.queued] ?? 0),
                "running": .int(counts[.running] ?? 0),
                "running_here": .int(runtime.running.count),
            ]))
        } catch {
            context.logger.error("readiness check failed", metadata: ["error": "\(error)"])
            return .json(.object(["status": "unavailable", "reason": "database not answering"]), status: .serviceUnavailable)
        }
    }

    @Sendable func metrics(_ request: Request, context: EaselRequestContext) async throws -> Response {
        runtime.metrics.setJobCounts(try await runtime.jobStore.countsByStatus())
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: runtime.metrics.render())))
    }
}
