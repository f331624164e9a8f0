import EaselCore
import EaselProviders
import EaselStore
import Foundation
import Logging
import ServiceLifecycle

/// Runs economy jobs through their providers' Batch APIs. It collects waiting jobs of a model into a provider
/// batch (after `collect_seconds`, or at once when a batch is full), writes and uploads the JSONL, creates the
/// batch, polls it with a doubling pause, and reads its output and error files into the jobs as they stream
/// in, so every job ends exactly as a synchronous one does. Every step is written down before the next, in
/// leased rows, so a restarted process (or another one) picks up where the last stopped.
struct EconomyService: Service {
    let store: any UpstreamBatchStore
    let jobs: any JobStore
    let router: ProviderRouter
    let finisher: JobFinisher
    let signal: WorkSignal
    let ids: IDGenerator
    let clock: any EaselClock
    /// This process's name on the batches it works on.
    let owner: String
    let leaseMs: Int64
    /// The shortest pause between rounds. Between rounds it sleeps until the next batch or backlog is due, a
    /// submission or cancel wakes it, or `20 × tickMs` pass (work another process may have left).
    let tickMs: Int64
    let logger: Logger

    /// Result lines stored at once while a file is read.
    static let ingestWidth = 4

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let due = await step()
                let idleMs = 20 * tickMs
                let pause = due.map { $0 - clock.nowMillis() } ?? idleMs
                await signal.wait(timeoutMs: min(max(pause, tickMs), idleMs))
            }
        }
    }

    /// One round: send what has waited long enough, mark batches nobody wants for cancelling, then move every
    /// due batch one step on. Returns when the next known piece of work is due (nil: none known).
    func step() async -> Int64? {
        do {
            var due = try await collect()
            _ = try await store.markAbandoned(now: clock.nowMillis())
            for batch in try await store.leaseDue(owner: owner, leaseMs: leaseMs, now: clock.nowMillis(), limit: 16) {
                try Task.checkCancellation()
                await advance(batch)
            }
            if let next = try await store.nextDue() { due = min(due ?? next, next) }
            return due
        } catch is CancellationError {
            return nil
        } catch {
            logger.error("economy batcher round failed", metadata: ["error": "\(error)"])
            return nil
        }
    }

    // MARK: Collecting

    /// Sends the backlogs that are full or have waited `collect_seconds`; returns when the next one will have.
    func collect() async throws -> Int64? {
        let now = clock.nowMillis()
        var due: Int64?
        for backlog in try await store.backlog(queue: EconomyPolicy.queue, now: now) {
            guard let (api, upstreamModel) = router.upstreamBatch(for: backlog.model) else {
                logger.warning(
                    "economy jobs wait for a model whose route has no Batch API any more; they stay queued",
                    metadata: ["model": "\(backlog.model)", "jobs": "\(backlog.count)"]
                )
                continue
            }
            let settings = api.settings
            guard backlog.count >= settings.maxRequests || now - backlog.oldest >= settings.collectMs else {
                due = min(due ?? .max, backlog.oldest + settings.collectMs)
                continue
            }
            while true {
                let fresh = UpstreamBatch(
                    id: ids.make(prefix: "ubt", millis: now),
                    provider: api.provider,
                    model: backlog.model,
                    upstreamModel: upstreamModel,
                    endpoint: api.endpoint,
                    createdAt: clock.nowMillis()
                )
                guard
                    let (batch, held) = try await store.collect(
                        fresh,
                        queue: EconomyPolicy.queue,
                        limit: settings.maxRequests,
                        owner: owner,
                        leaseMs: leaseMs
                    )
                else { break }
                logger.info("economy jobs collected into a provider batch", metadata: ["batch": "\(batch.id)", "jobs": "\(held.count)"])
                await send(batch, held: held, api: api)
                if held.count < settings.maxRequests { break }
            }
        }
        return due
    }

    // MARK: Moving a batch on

    func advance(_ batch: UpstreamBatch) async {
        var logger = self.logger
        logger[metadataKey: "upstream_batch"] = "\(batch.id)"
        guard let api = router.batchAPI(provider: batch.provider) else {
            var later = batch
            later.note = "Provider '\(batch.provider)' has no Batch API in the current config; the batch waits until it has."
            later.nextPollAt = clock.nowMillis() + 600_000
            logger.error("a provider batch's provider is gone from the config", metadata: ["provider": "\(batch.provider)"])
            await save(later, release: true)
            return
        }
        do {
            switch batch.phase {
            case .preparing:
                let held = try await store.heldJobs(batchID: batch.id)
                guard !held.isEmpty, batch.cancelRequestedAt == nil || batch.upstreamID != nil else {
                    var done = batch
                    done.phase = .finished
                    done.finishedAt = clock.nowMillis()
                    done.note = "Every job was cancelled before the batch was sent."
                    await save(done, release: true)
                    return
                }
                await send(batch, held: held, api: api)
            case .submitted:
                try await poll(batch, api: api)
            case .ingesting:
                try await ingest(batch, api: api)
            case .finished:
                await save(batch, release: true)
            }
        } catch is CancellationError {
            await save(batch, release: true)
        } catch {
            await postpone(batch, after: error, api: api)
        }
    }

    /// Writes the input file, uploads it and creates the batch (or adopts the one created just before a
    /// stop, found by its metadata). A provider that refuses the batch outright fails its jobs, refunded.
    func send(_ batch: UpstreamBatch, held: [JobRecord], api: any UpstreamBatchAPI) async {
        var batch = batch
        // Sent before, and stopped part way: the batch may exist upstream already.
        let resumed = batch.inputFileID != nil
        do {
            if batch.inputFileID == nil {
                var jsonl: [UInt8] = []
                var written = 0
                for job in held {
                    let line = api.requestLine(
                        for: ProviderJob(
                            id: job.id,
                            request: job.payload.request,
                            attempt: job.attempts,
                            upstreamModel: batch.upstreamModel,
                            capabilities: router.capabilities(for: job.model)
                        )
                    )
                    // Past the provider's file limit the rest wait for the next batch.
                    if !jsonl.isEmpty && jsonl.count + line.count + 1 > api.settings.maxInputBytes {
                        for job in held[written...] { _ = try await jobs.release(jobID: job.id, worker: UpstreamBatch.worker(batch.id)) }
                        break
                    }
                    jsonl += line
                    jsonl.append(UInt8(ascii: "\n"))
                    written += 1
                }
                batch.total = written
                batch.inputFileID = try await api.uploadInput(jsonl, filename: "easel-\(batch.id).jsonl")
                guard await save(batch, release: false) else { return }
            }
            if batch.upstreamID == nil {
                let status: UpstreamBatchStatus
                if resumed, let earlier = (try? await api.recent(limit: 20))?.first(where: { $0.metadata["easel_batch"] == batch.id }) {
                    status = earlier
                } else {
                    status = try await api.create(inputFileID: batch.inputFileID!, metadata: ["easel_batch": batch.id])
                }
                let now = clock.nowMillis()
                batch.upstreamID = status.id
                batch.submittedAt = now
                batch.polls = 0
                batch.phase = .submitted
                batch.note = nil
                apply(status, to: &batch)
                batch.nextPollAt = now + UpstreamBatch.pollDelay(polls: 0, minMs: api.settings.pollMinMs, maxMs: api.settings.pollMaxMs)
                logger.info("provider batch created", metadata: ["batch": "\(batch.id)", "upstream": "\(status.id)", "jobs": "\(batch.total)"])
            }
            await save(batch, release: true)
        } catch {
            await postpone(batch, after: error, api: api)
        }
    }

    func poll(_ batch: UpstreamBatch, api: any UpstreamBatchAPI) async throws {
        guard let upstreamID = batch.upstreamID else { return }
        var batch = batch
        let cancelling = ["cancelling", "cancelled"].contains(batch.upstreamStatus ?? "")
        let status =
            batch.cancelRequestedAt != nil && !cancelling ? try await api.cancel(upstreamID) : try await api.status(of: upstreamID)
        apply(status, to: &batch)
        if status.isFinal {
            batch.phase = .ingesting
            if !status.errors.isEmpty { batch.note = Self.describe(status.errors) }
            guard await save(batch, release: false) else { return }
            try await ingest(batch, api: api)
            return
        }
        batch.polls += 1
        let pause = UpstreamBatch.pollDelay(polls: batch.polls, minMs: api.settings.pollMinMs, maxMs: api.settings.pollMaxMs)
        // A cancel is followed up soon; otherwise the pause doubles.
        batch.nextPollAt = clock.nowMillis() + (batch.cancelRequestedAt != nil ? api.settings.pollMinMs : pause)
        await save(batch, release: true)
    }

    // MARK: Reading results

    /// Reads the output and error files into the jobs, line by line as they download; then ends the jobs that
    /// had no line (failed, or back to the queue when the batch expired or was cancelled upstream, as
    /// configured). Reading again after a stop is harmless: jobs already ended are not held any more.
    func ingest(_ batch: UpstreamBatch, api: any UpstreamBatchAPI) async throws {
        var batch = batch
        let worker = UpstreamBatch.worker(batch.id)
        let held = Dictionary(uniqueKeysWithValues: try await store.heldJobs(batchID: batch.id).map { ($0.id, $0) })
        let tally = Locked(Tally())
        let gate = AsyncSemaphore(Self.ingestWidth)
        let pending = Locked<[Task<Void, Never>]>([])
        let finisher = self.finisher
        let logger = self.logger
        let provider = batch.provider
        // A long read keeps the batch's lease, so no other process starts reading it too.
        let (store, owner, leaseMs, clock) = (self.store, self.owner, self.leaseMs, self.clock)
        let snapshot = batch
        for fileID in [batch.outputFileID, batch.errorFileID].compactMap({ $0 }) {
            try await api.readResults(fileID: fileID, route: batch.model, upstreamModel: batch.upstreamModel) { line in
                let id: String?
                switch line {
                case .succeeded(let customID, _), .failed(let customID, _): id = customID
                case .malformed(let customID, _, _): id = customID
                }
                guard let id, let job = held[id] else {
                    if case .malformed(_, let number, let reason) = line {
                        logger.warning("a provider batch line could not be matched to a job", metadata: ["line": "\(number)", "reason": "\(reason)"])
                    }
                    return
                }
                let count = tally.withLock { tally -> Int in
                    tally.seen.insert(id)
                    return tally.seen.count
                }
                if count % 25 == 0 {
                    _ = try await store.save(snapshot, owner: owner, release: false, leaseMs: leaseMs, now: clock.nowMillis())
                }
                if case .failed(_, let error) = line, Self.unrun.contains(error.error.code ?? "") {
                    tally.withLock { $0.unrun[id] = error.error }
                    return
                }
                try await gate.acquire()
                let task = Task {
                    defer { gate.release() }
                    do {
                        switch line {
                        case .succeeded(_, let result):
                            if try await finisher.succeed(job, worker: worker, result: result) != nil { tally.withLock { $0.succeeded += 1 } }
                        case .failed(_, let error):
                            if try await finisher.fail(job, worker: worker, errors: [error.error]) != nil { tally.withLock { $0.failed += 1 } }
                        case .malformed(_, let number, let reason):
                            let error = Self.unreadable(provider: provider, line: number, reason: reason)
                            if try await finisher.fail(job, worker: worker, errors: [error]) != nil { tally.withLock { $0.failed += 1 } }
                        }
                    } catch {
                        tally.withLock { $0.storeErrors.append("\(error)") }
                    }
                }
                pending.withLock { $0.append(task) }
            }
        }
        for task in pending.withLock({ $0 }) { await task.value }
        let result = tally.withLock { $0 }
        if let first = result.storeErrors.first {
            // Easel's own trouble (a full disk): read again later; what ended stays ended.
            throw IngestFailure(message: first)
        }
        // Jobs the files said nothing about, or that the provider never ran.
        var requeued = 0
        var failed = result.failed
        let status = batch.upstreamStatus ?? ""
        for job in held.values.sorted(by: { $0.id < $1.id }) where !result.seen.contains(job.id) || result.unrun[job.id] != nil {
            let reason = result.unrun[job.id] ?? Self.missing(status: status, batch: batch)
            let unrun = result.unrun[job.id] != nil || status == "expired" || status == "cancelled"
            if unrun && api.settings.onUnfinished == .requeue && job.attempts < job.maxAttempts {
                if try await finisher.retry(job, worker: worker, errors: [reason], delayMs: 0) != nil { requeued += 1 }
            } else if try await finisher.fail(job, worker: worker, errors: [reason]) != nil {
                failed += 1
            }
        }
        if requeued > 0 { signal.wake() }
        batch.phase = .finished
        batch.finishedAt = clock.nowMillis()
        let summary = "\(result.succeeded) succeeded, \(failed) failed, \(requeued) back in the queue"
        batch.note = [batch.note, summary].compactMap { $0 }.joined(separator: " — ")
        logger.info("provider batch read", metadata: ["batch": "\(batch.id)", "status": "\(status)", "summary": "\(summary)"])
        guard await save(batch, release: true) else { return }
        // The provider keeps files until deleted; they are not needed any more.
        for fileID in [batch.inputFileID, batch.outputFileID, batch.errorFileID].compactMap({ $0 }) { try? await api.deleteFile(fileID) }
    }

    struct Tally: Sendable {
        var seen = Set<String>()
        var unrun: [String: JobError] = [:]
        var succeeded = 0
        var failed = 0
        var storeErrors: [String] = []
    }

    struct IngestFailure: Error, CustomStringConvertible {
        var message: String
        var description: String { "storing a provider batch's results failed: \(message)" }
    }

    /// Line errors that mean the provider never ran the request (the window ran out, the batch was cancelled).
    static let unrun: Set<String> = ["batch_expired", "batch_cancelled"]

    static func unreadable(provider: String, line: Int, reason: String) -> JobError {
        JobError(
            status: 502,
            type: "server_error",
            code: "bad_provider_output",
            message: "Provider '\(provider)' returned an unreadable result for this job (line \(line) of its batch output): \(reason)",
            retryable: false,
            provider: provider
        )
    }

    /// Why a job with no result line ended.
    static func missing(status: String, batch: UpstreamBatch) -> JobError {
        let message: String
        let code: String
        switch status {
        case "failed":
            code = "upstream_batch_failed"
            message = "Provider '\(batch.provider)' refused the batch this job was sent in: \(batch.note ?? "no reason given")."
        case "expired":
            code = "batch_expired"
            message = "Provider '\(batch.provider)' did not run this job within its 24-hour batch window."
        case "cancelled":
            code = "batch_cancelled"
            message = "The provider batch this job was sent in was cancelled upstream before the job ran."
        default:
            code = "upstream_result_missing"
            message = "Provider '\(batch.provider)' finished the batch this job was sent in without a result for it."
        }
        return JobError(status: 502, type: "server_error", code: code, message: message, retryable: false, provider: batch.provider)
    }

    static func describe(_ errors: [UpstreamBatchStatus.Failure]) -> String {
        errors.prefix(3).map { error in
            [error.line.map { "line \($0)" }, error.code, error.message].compactMap { $0 }.joined(separator: ": ")
        }.joined(separator: "; ") + (errors.count > 3 ? " (and \(errors.count - 3) more)" : "")
    }

    // MARK: Bookkeeping

    func apply(_ status: UpstreamBatchStatus, to batch: inout UpstreamBatch) {
        batch.upstreamStatus = status.status
        batch.expiresAt = status.expiresAt ?? batch.expiresAt
        batch.outputFileID = status.outputFileID ?? batch.outputFileID
        batch.errorFileID = status.errorFileID ?? batch.errorFileID
        if status.total > 0 { batch.total = status.total }
        batch.completed = status.completed
        batch.failed = status.failed
    }

    /// After a failed step: try again later with a doubling pause, unless the provider refused for good (or
    /// for longer than `submitGiveUpMs` while sending), when the batch's jobs fail, refunded.
    func postpone(_ batch: UpstreamBatch, after error: any Error, api: any UpstreamBatchAPI) async {
        var batch = batch
        let now = clock.nowMillis()
        let providerError = error as? ProviderError
        let retryable = providerError?.retryable ?? !(error is EaselError)
        let givingUp = !retryable || (batch.phase == .preparing && now - batch.createdAt > api.settings.submitGiveUpMs)
        batch.note = providerError?.error.message ?? "\(error)"
        logger.warning("provider batch step failed", metadata: ["batch": "\(batch.id)", "error": "\(batch.note ?? "")", "giving_up": "\(givingUp)"])
        if givingUp {
            var reason =
                providerError?.error
                ?? JobError(status: 502, type: "server_error", code: "upstream_batch_failed", message: "\(error)", retryable: false)
            reason.retryable = false
            do {
                for job in try await store.heldJobs(batchID: batch.id) {
                    _ = try await finisher.fail(job, worker: UpstreamBatch.worker(batch.id), errors: [reason])
                }
                batch.phase = .finished
                batch.finishedAt = now
            } catch {
                logger.error("failing a refused provider batch's jobs failed", metadata: ["batch": "\(batch.id)", "error": "\(error)"])
            }
        } else {
            batch.polls += 1
            batch.nextPollAt = now + UpstreamBatch.pollDelay(polls: batch.polls, minMs: api.settings.pollMinMs, maxMs: api.settings.pollMaxMs)
        }
        await save(batch, release: true)
    }

    @discardableResult
    func save(_ batch: UpstreamBatch, release: Bool) async -> Bool {
        do {
            let kept = try await store.save(batch, owner: owner, release: release, leaseMs: leaseMs, now: clock.nowMillis())
            if !kept { logger.warning("another process took this provider batch over; this one stops", metadata: ["batch": "\(batch.id)"]) }
            return kept
        } catch {
            logger.error("saving a provider batch failed", metadata: ["batch": "\(batch.id)", "error": "\(error)"])
            return false
        }
    }
}
