import EaselCore
import EaselStore
import Logging
import ServiceLifecycle

/// Returns jobs whose worker died (lease expired) to the queue.
public struct LeaseReaperService: Service {
    let jobs: any JobStore
    let signal: WorkSignal
    let intervalMs: Int64
    let logger: Logger
    /// Settles or refunds reservations whose job ended without it (a crash between the two writes).
    let reconciler: Reconciler

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let requeued = try await jobs.requeueExpiredLeases()
                    if !requeued.isEmpty {
                        logger.notice("requeued jobs whose worker stopped", metadata: ["jobs": "\(requeued)"])
                        signal.wake()
                    }
                } catch is CancellationError {
                    break
                } catch {
                    logger.error("lease reaper failed", metadata: ["error": "\(error)"])
                }
                await reconciler.reconcile()
                try? await Task.sleep(for: .milliseconds(intervalMs))
            }
        }
    }
}
