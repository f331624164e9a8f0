import EaselCore
import EaselStore
import Logging

/// Settles or refunds reservations left open a while after they were made: their job ended (or was never
/// stored) while the process that should have settled it stopped.
struct Reconciler: Sendable {
    let ledger: any LedgerStore
    let jobs: any JobStore
    let billing: BillingService
    let clock: any EaselClock
    /// How old an open reservation must be before it is looked at.
    let afterMs: Int64
    let logger: Logger
    /// How old a reservation with no job must be before it is refunded. A batch reserves its items before
    /// it queues them, so on a busy machine a young reservation's job may simply not be stored yet.
    static let orphanAfterMs: Int64 = 600_000

    func reconcile() async {
        do {
            let open = try await ledger.openReservations(before: clock.nowMillis() - afterMs, limit: 200)
            let now = clock.nowMillis()
            for (jobID, _, createdAt) in open {
                guard let job = try await jobs.job(id: jobID) else {
                    if now - createdAt > max(afterMs, Self.orphanAfterMs) { await billing.refund(jobID: jobID) }
                    continue
                }
                if job.status.isTerminal { await billing.finish(job) }
            }
        } catch is CancellationError {
            // Shutting down; the next start reconciles what is left.
        } catch {
            logger.error("reconciling reservations failed", metadata: ["error": "\(error)"])
        }
    }
}
