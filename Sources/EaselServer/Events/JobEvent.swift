import EaselCore
import EaselProviders
import Foundation

/// One output image of a finished job, with its bytes when they are still in memory.
public struct JobOutput: Sendable {
    public var asset: AssetRecord
    public var data: Data?
    /// `data` in base64 as the provider sent it, when it did: the door answers with it as it is.
    public var base64: String?

    public init(asset: AssetRecord, data: Data?, base64: String? = nil) {
        self.asset = asset
        self.data = data
        self.base64 = base64
    }
}

/// What happens to a job, as told to waiters and event streams.
public enum JobEvent: Sendable {
    /// The job as stored right now: sent first to a late subscriber, and when polling sees a change made
    /// by another process.
    case state(JobRecord)
    case queued(JobRecord)
    case running(JobRecord)
    case partial(jobID: String, PartialImage)
    case retrying(JobRecord)
    case succeeded(JobRecord, [JobOutput])
    case failed(JobRecord)
    case cancelled(JobRecord)

    public var jobID: String {
        switch self {
        case .state(let job), .queued(let job), .running(let job), .retrying(let job), .succeeded(let job, _),
            .failed(let job), .cancelled(let job):
            job.id
        case .partial(let id, _): id
        }
    }

    /// The job's record, for every event but partials.
    public var job: JobRecord? {
        switch self {
        case .state(let job), .queued(let job), .running(let job), .retrying(let job), .succeeded(let job, _),
            .failed(let job), .cancelled(let job):
            job
        case .partial: nil
        }
    }

    public var isTerminal: Bool { job?.status.isTerminal ?? false }

    /// Output bytes carried by a live success event.
    public var outputs: [JobOutput] {
        if case .succeeded(_, let outputs) = self { return outputs }
        return []
    }
}
