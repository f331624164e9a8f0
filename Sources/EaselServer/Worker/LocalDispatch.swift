import EaselCore
import EaselStore

/// The worker's slots, shared by the two ways a job reaches it: claimed from the queue, or handed over
/// directly by a submission in this process. A submission that finds a free slot inserts its job already
/// claimed by this worker and starts it at once, skipping the claim transaction and the wake-up; with no
/// free slot (or no worker in this process) the job is queued for whichever worker claims it first.
public final class LocalDispatch: Sendable {
    private struct State {
        var accepting = false
        var capacity = 0
        var inFlight = 0
        var worker = ""
        var leaseMs: Int64 = 0
        var launch: (@Sendable (JobRecord) -> Void)?
    }

    private let state = Locked(State())

    public init() {}

    /// Slots taken: jobs running plus slots reserved for jobs about to start.
    public var inFlight: Int { state.withLock { $0.inFlight } }

    /// Whether a worker in this process takes jobs from submissions now.
    public var isAccepting: Bool { state.withLock { $0.accepting } }

    /// Called by the worker when it starts: from now on submissions may hand jobs to `launch` (unless
    /// `acceptSubmissions` is off, when only claims use the slots).
    func open(capacity: Int, worker: String, leaseMs: Int64, acceptSubmissions: Bool, launch: @escaping @Sendable (JobRecord) -> Void) {
        state.withLock {
            $0.accepting = acceptSubmissions
            $0.capacity = capacity
            $0.worker = worker
            $0.leaseMs = leaseMs
            $0.launch = launch
        }
    }

    /// Called by the worker when it begins to drain: new submissions go to the queue.
    func stopAccepting() {
        state.withLock { $0.accepting = false }
    }

    /// Called by the worker when it has stopped: nothing is launched here any more.
    func close() {
        state.withLock {
            $0.accepting = false
            $0.launch = nil
        }
    }

    /// Reserves up to `limit` slots for a claim; returns how many it got.
    func reserve(upTo limit: Int) -> Int {
        state.withLock { state in
            let granted = max(0, min(limit, state.capacity - state.inFlight))
            state.inFlight += granted
            return granted
        }
    }

    /// A slot for a submission to start its own job in, if the worker accepts work and has one free.
    func reserveForSubmission() -> JobClaim? {
        state.withLock { state in
            guard state.accepting, state.launch != nil, state.inFlight < state.capacity else { return nil }
            state.inFlight += 1
            return JobClaim(worker: state.worker, leaseMs: state.leaseMs)
        }
    }

    /// Gives back `count` slots (a job ended, or a reservation went unused).
    func release(_ count: Int = 1) {
        guard count > 0 else { return }
        state.withLock { $0.inFlight -= count }
    }

    /// Starts a job inserted under a reservation from `reserveForSubmission`.
    func launch(_ job: JobRecord) {
        let launch = state.withLock { $0.launch }
        if let launch {
            launch(job)
        } else {
            // Cannot happen while the reservation is held (the worker waits for its slots before it closes);
            // the job stays claimed and returns to the queue when its lease expires.
            release()
        }
    }
}
