/// The life of a job. `retryWait` is its own state so that "waiting to retry" is never mistaken for failed.
public enum JobStatus: String, Sendable, Codable, CaseIterable {
    case queued
    case running
    case retryWait = "retry_wait"
    case succeeded
    case failed
    case cancelled

    public var isTerminal: Bool {
        switch self {
        case .succeeded, .failed, .cancelled: true
        case .queued, .running, .retryWait: false
        }
    }

    /// Waiting to be claimed by a worker.
    public var isReady: Bool { self == .queued || self == .retryWait }

    /// Whether the queue may move a job from `self` to `next`.
    public func canMove(to next: JobStatus) -> Bool {
        switch (self, next) {
        case (.queued, .running), (.retryWait, .running): true
        case (.running, .succeeded), (.running, .failed), (.running, .retryWait): true
        // A lease that expired, or a drained worker, hands the job back.
        case (.running, .queued): true
        case (.queued, .cancelled), (.retryWait, .cancelled), (.running, .cancelled): true
        default: false
        }
    }
}

/// The kind of work a job does.
public enum JobKind: String, Sendable, Codable {
    case generate
    case edit
    case upscale
}
