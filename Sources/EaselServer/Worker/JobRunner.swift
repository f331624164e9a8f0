import EaselCore
import EaselImaging
import EaselProviders
import EaselStore
import Foundation
import Logging

/// Runs one claimed job: calls the provider, stores the images as assets, records the outcome, and tells
/// watchers. Every store call names the worker, so work whose lease was lost is quietly dropped.
struct JobRunner: Sendable {
    let workerID: String
    let jobs: any JobStore
    let assets: any AssetStore
    let blobs: any BlobStore
    let imaging: ImagingPool
    let finisher: JobFinisher
    let router: ProviderRouter
    let hub: JobEventHub
    let signal: WorkSignal
    let running: RunningJobs
    let metrics: EaselMetrics
    let retry: RetryPolicy
    /// Keep partial images in the database for watchers in other processes (PostgreSQL deployments).
    let sharePartials: Bool
    let logger: Logger

    /// Not inlined (nor its helpers): a running job's task holds these frames for the whole provider call.
    @inline(never) func run(_ job: JobRecord) async {
        var logger = self.logger
        logger[metadataKey: "job.id"] = "\(job.id)"
        logger[metadataKey: "job.attempt"] = "\(job.attempts)"
        let started = ContinuousClock.now
        metrics.jobStarted(model: job.model, queueWaitSeconds: Double(max(0, (job.startedAt ?? job.runAt) - job.runAt)) / 1000)
        hub.publish(.running(job))

        do {
            let hub = self.hub
            let jobID = job.id
            let providerStart = ContinuousClock.now
            let result: ProviderResult
            do {
                if job.kind == .upscale {
                    result = try await upscale(job)
                } else {
                    let (inputs, mask) = try await loadInputs(job)
                    var providerJob = ProviderJob(
                        id: job.id,
                        kind: job.kind,
                        request: job.payload.request,
                        inputs: inputs,
                        mask: mask,
                        attempt: job.attempts
                    )
                    providerJob.responsesModel = job.payload.responsesModel
                    result = try await router.run(providerJob) { [jobs, sharePartials] partial in
                        hub.publish(.partial(jobID: jobID, partial))
                        guard sharePartials else { return }
                        Task { try? await jobs.savePartial(jobID: jobID, attempt: job.attempts, partial: partial) }
                    }
                }
                metrics.providerCall(
                    provider: result.provider,
                    model: job.model,
                    outcome: "ok",
                    seconds: (ContinuousClock.now - providerStart).seconds
                )
            } catch let error as ProviderError {
                metrics.providerCall(
                    provider: error.error.provider ?? "unknown",
                    model: job.model,
                    outcome: "error",
                    seconds: (ContinuousClock.now - providerStart).seconds
                )
                throw error
            }
            try Task.checkCancellation()
            guard try await finisher.succeed(job, worker: workerID, result: result) != nil else {
                logger.info("job finished after this worker lost it; result dropped")
                return
            }
            metrics.jobFinished(model: job.model, outcome: "succeeded", seconds: (ContinuousClock.now - started).seconds)
        } catch {
            await handleFailure(error, job: job, logger: logger, started: started)
        }
    }

    /// An edit's input images and mask, read from the asset store. A missing input cannot come back, so it
    /// fails the job without retries.
    @inline(never) private func loadInputs(_ job: JobRecord) async throws -> ([ProviderInputImage], ProviderInputImage?) {
        let ids = job.payload.inputAssetIDs + (job.payload.maskAssetID.map { [$0] } ?? [])
        guard !ids.isEmpty else { return ([], nil) }
        let records = try await assets.assets(ids: ids)
        var loaded: [String: ProviderInputImage] = [:]
        // An input an admin hid since the job was queued is gone for the job too.
        for asset in records where asset.hiddenAt == nil {
            guard let data = try await blobs.get(key: asset.blobKey) else { continue }
            loaded[asset.id] = ProviderInputImage(data: data, format: asset.format, width: asset.width, height: asset.height)
        }
        for id in ids where loaded[id] == nil {
            throw EaselError(
                status: 400,
                type: "invalid_request_error",
                code: "input_missing",
                param: "image",
                message: "The input image \(id) of this job is no longer stored."
            )
        }
        return (job.payload.inputAssetIDs.compactMap { loaded[$0] }, job.payload.maskAssetID.flatMap { loaded[$0] })
    }

    /// A post-process job: enlarge the parent image (no provider, no model).
    @inline(never) private func upscale(_ job: JobRecord) async throws -> ProviderResult {
        guard let sourceID = job.payload.inputAssetIDs.first, let source = try await assets.asset(id: sourceID), source.hiddenAt == nil,
            let data = try await blobs.get(key: source.blobKey)
        else {
            throw EaselError(
                status: 400,
                type: "invalid_request_error",
                code: "input_missing",
                param: "id",
                message: "The image to upscale is no longer stored."
            )
        }
        let output = try await imaging.upscale(data, factor: job.payload.upscaleFactor ?? 2, format: source.format)
        // An upscaled draft is still a draft.
        return ProviderResult(
            images: [ProviderImage(data: output.data, format: output.format, size: output.size, raster: output.raster)],
            usage: .zero,
            provider: "easel-upscale",
            isDraft: source.isDraft
        )
    }

    @inline(never) private func handleFailure(_ error: any Error, job: JobRecord, logger: Logger, started: ContinuousClock.Instant) async {
        if Task.isCancelled || error is CancellationError {
            switch running.reason(job.id) {
            case .shutdown?:
                // A write transaction runs to its end even from a cancelled task (`EaselDatabase.write`). If the
                // hand-back fails, the worker hands back whatever it still holds once every job has ended.
                do {
                    if try await jobs.release(jobID: job.id, worker: workerID) {
                        logger.info("job handed back to the queue at shutdown")
                    } else {
                        logger.notice("job not handed back at shutdown: this worker no longer holds it")
                    }
                } catch {
                    logger.error("handing the job back at shutdown failed", metadata: ["error": "\(error)"])
                }
            case .cancelledByUser?:
                metrics.jobFinished(model: job.model, outcome: "cancelled", seconds: (ContinuousClock.now - started).seconds)
                logger.info("job cancelled while running")
            case .leaseLost?, nil:
                logger.warning("job stopped: this worker no longer holds its lease")
            }
            return
        }
        let failure: JobError
        var retryAfterMs: Int64?
        var earlier: [JobError] = []
        if let providerError = error as? ProviderError {
            failure = providerError.error
            retryAfterMs = providerError.retryAfterMs
            earlier = providerError.fallbackErrors
        } else if let easelError = error as? EaselError {
            failure = JobError(easelError, retryable: easelError.status >= 500)
        } else {
            // Our own failure (a full disk, say): worth another attempt.
            failure = JobError(
                status: 500,
                type: "server_error",
                code: "internal_error",
                message: "Easel failed to finish the job: \(error)",
                retryable: true
            )
        }
        var rng = SystemRandomNumberGenerator()
        do {
            if let providerError = error as? ProviderError, providerError.nothingSent,
                retry.defersUnsentAttempt(createdAt: job.createdAt, now: finisher.clock.nowMillis())
            {
                // Every provider was cooling down: nothing was sent, so the job waits without spending an attempt.
                let delay = max(100, retryAfterMs ?? retry.baseDelayMs)
                guard try await jobs.release(jobID: job.id, worker: workerID, afterMs: delay) else { return }
                logger.info("no provider could be called; waiting", metadata: ["delay_ms": "\(delay)"])
                wake(after: delay)
            } else if failure.retryable && retry.shouldRetry(attempt: job.attempts) {
                let delay = retry.delayMs(afterAttempt: job.attempts, retryAfterMs: retryAfterMs, using: &rng)
                guard try await finisher.retry(job, worker: workerID, errors: earlier + [failure], delayMs: delay) != nil else { return }
                logger.notice("attempt failed; retrying", metadata: ["error": "\(failure.message)", "delay_ms": "\(delay)"])
                wake(after: delay)
            } else {
                guard try await finisher.fail(job, worker: workerID, errors: earlier + [failure]) != nil else { return }
                metrics.jobFinished(model: job.model, outcome: "failed", seconds: (ContinuousClock.now - started).seconds)
                logger.notice("job failed", metadata: ["error": "\(failure.message)"])
            }
        } catch {
            logger.error("could not record job failure", metadata: ["error": "\(error)"])
        }
    }

    /// Wakes this process's workers when a job put off for `delay` is due again.
    private func wake(after delay: Int64) {
        let signal = self.signal
        Task {
            try? await Task.sleep(for: .milliseconds(delay))
            signal.wake()
        }
    }
}
