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
    /// How old a reservation with no job must be before it is refunded (the process stopped between reserving
    /// and storing the job). A batch reserves its items before it queues them, and nothing stops a refund from
    /// racing a late insert, so this stays long: ten minutes unless configured.
    let orphanAfterMs: Int64
    let logger: Logger
    func reconcile() async {
        do {
            let open = try await ledger.openReservations(before: clock.nowMillis() - afterMs, limit: 200)
            let now = clock.nowMillis()
            for reservation in open {
                let jobID = reservation.jobID
                guard let job = try await jobs.job(id: jobID) else {
                    if now - reservation.createdAt > max(afterMs, orphanAfterMs) { await billing.refund(jobID: jobID) }
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
