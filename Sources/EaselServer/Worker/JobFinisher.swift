import EaselCore
import EaselImaging
import EaselProviders
import EaselStore
import Foundation

/// How a job ends, wherever its images came from (a worker's provider call, or a line of a provider batch's
/// output): images stored and described as assets, the job completed or failed only while `worker` still
/// holds it, its money settled or refunded exactly once, watchers told.
struct JobFinisher: Sendable {
    let jobs: any JobStore
    let blobs: any BlobStore
    let billing: BillingService
    let hub: JobEventHub
    let thumbnails: ThumbnailService
    let ids: IDGenerator
    let clock: any EaselClock

    /// Stores the images and completes the job; nil when `worker` no longer held it (nothing is recorded).
    @inline(never) func succeed(_ job: JobRecord, worker: String, result: ProviderResult) async throws -> (JobRecord, [JobOutput])? {
        if !result.fallbackErrors.isEmpty {
            try await jobs.recordErrors(jobID: job.id, attempt: job.attempts, errors: result.fallbackErrors)
        }
        let outputs = try await outputs(result, for: job)
        let jobResult = JobResult(
            assetIDs: outputs.map(\.asset.id),
            usage: result.usage,
            provider: result.provider,
            isDraft: result.isDraft,
            upstreamRequestID: result.upstreamRequestID,
            revisedPrompt: result.revisedPrompt
        )
        guard
            let finishedAt = try await jobs.complete(
                jobID: job.id,
                worker: worker,
                attempt: job.attempts,
                result: jobResult,
                assets: outputs.map(\.asset)
            )
        else {
            return nil
        }
        var done = job
        done.status = .succeeded
        done.result = jobResult
        done.finishedAt = finishedAt
        done.updatedAt = finishedAt
        done.leaseUntil = nil
        // Settled from a fresh task: this one may be cancelled (a shutdown, a lease check) after the job is
        // already complete, and the money must follow the job regardless.
        let billing = self.billing
        let settled = done
        await Task { @Sendable () async -> Void in _ = await billing.finish(settled) }.value
        hub.publish(.succeeded(done, outputs))
        // Thumbnails in the background, not before the event: that would add the thumbnail's time (15-60 ms of
        // CPU for a provider's PNG) to every job's answer.
        for (output, image) in zip(outputs, result.images) {
            thumbnails.enqueue(output.asset, from: image.raster.map { .pixels($0) } ?? .stored)
        }
        return (done, outputs)
    }

    /// Records the final failure (errors in order, the last being why) and refunds; nil when `worker` no
    /// longer held the job.
    @inline(never) func fail(_ job: JobRecord, worker: String, errors: [JobError]) async throws -> JobRecord? {
        guard let failure = errors.last, try await jobs.fail(jobID: job.id, worker: worker, attempt: job.attempts, errors: errors) else { return nil }
        var failed = job
        failed.status = .failed
        failed.lastError = failure
        failed.finishedAt = clock.nowMillis()
        failed.updatedAt = failed.finishedAt ?? failed.updatedAt
        let billing = self.billing
        let refunded = failed
        await Task { @Sendable () async -> Void in _ = await billing.finish(refunded) }.value
        hub.publish(.failed(failed))
        return failed
    }

    /// Schedules another attempt after `delayMs`, recording why this one ended; nil when `worker` no longer
    /// held the job. The reservation stays: the job is not over.
    func retry(_ job: JobRecord, worker: String, errors: [JobError], delayMs: Int64) async throws -> JobRecord? {
        guard let failure = errors.last, try await jobs.retry(jobID: job.id, worker: worker, attempt: job.attempts, errors: errors, delayMs: delayMs)
        else { return nil }
        var waiting = job
        waiting.status = .retryWait
        waiting.lastError = failure
        waiting.runAt = clock.nowMillis() + delayMs
        waiting.updatedAt = clock.nowMillis()
        hub.publish(.retrying(waiting))
        return waiting
    }

    /// Writes each image to the blob store and describes it as an asset (inserted with the completion).
    @inline(never) func outputs(_ result: ProviderResult, for job: JobRecord) async throws -> [JobOutput] {
        var outputs: [JobOutput] = []
        let now = clock.nowMillis()
        for (index, image) in result.images.enumerated() {
            var size = image.size
            var format = image.format
            if image.raster == nil {
                // Bytes from elsewhere: trust the file's header, not the label.
                guard let header = ImageHeader.read(image.data) else {
                    throw EaselError.server(
                        "Provider '\(result.provider)' returned a file that is not a PNG, JPEG or WebP image.",
                        code: "bad_provider_output"
                    )
                }
                size = PixelSize(width: header.width, height: header.height)
                format = header.format
            }
            let ref = try await blobs.put(image.data, fileExtension: format.fileExtension)
            var asset = AssetRecord(
                id: ids.make(prefix: "img", millis: now),
                jobID: job.id,
                userID: job.userID,
                parentAssetID: job.payload.parentAssetID,
                index: index,
                blobKey: ref.key,
                thumbKey: nil,
                format: format,
                width: size.width,
                height: size.height,
                bytes: ref.bytes,
                sha256: ref.sha256,
                model: job.model,
                provider: result.provider,
                isDraft: result.isDraft,
                role: .generated,
                prompt: job.payload.request.prompt,
                createdAt: now
            )
            // The asset keeps the brief, template and batch it came from.
            asset.origin = job.payload.origin
            if job.payload.origin?.batchIndex != nil { asset.batchID = job.groupID }
            outputs.append(JobOutput(asset: asset, data: image.data, base64: image.base64))
        }
        return outputs
    }

}
