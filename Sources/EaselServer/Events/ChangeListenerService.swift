import EaselCore
import EaselStore
import Logging
import ServiceLifecycle

/// Hears other processes on the same PostgreSQL database: new work wakes this process's idle workers, and
/// changed jobs are read again for whoever here waits on them (the synchronous door, SSE streams, batch
/// progress), partial images included. Only wake-ups travel by NOTIFY; what changed is read from the tables,
/// so a missed notice costs latency (polling still runs), never correctness.
struct ChangeListenerService: Service {
    let listener: PostgresListener
    let hub: JobEventHub
    let jobs: any JobStore
    /// This process's workers, if it runs any.
    let workSignal: WorkSignal?

    func run() async throws {
        let hub = self.hub
        let jobs = self.jobs
        let workSignal = self.workSignal
        await cancelWhenGracefulShutdown {
            await listener.run(
                channels: [ChangeNotices.workChannel, ChangeNotices.jobsChannel],
                onConnect: {
                    // Whatever happened while no one listened: look again.
                    workSignal?.wake()
                    await hub.refresh(jobIDs: hub.watchedJobIDs, from: jobs)
                },
                onNotice: { channel, payload in
                    if channel == ChangeNotices.workChannel {
                        workSignal?.wake()
                    } else {
                        let ids = payload.split(separator: ",").map(String.init)
                        await hub.refresh(jobIDs: ids, from: jobs)
                    }
                }
            )
        }
    }
}
