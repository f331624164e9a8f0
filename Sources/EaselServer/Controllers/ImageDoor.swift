import EaselCore
import Foundation
import Hummingbird

/// How the OpenAI door answers a job it submitted, for generations and edits alike: as a stream of events,
/// or by waiting for the end and answering in the `ImagesResponse` shape. A job that has not ended when
/// the wait runs out answers 504 with its id, so the client can follow it.
struct ImageDoor: Sendable {
    enum Kind: String {
        case generation = "image_generation"
        case edit = "image_edit"

        var noun: String { self == .edit ? "edit" : "image" }
    }

    let jobs: JobService
    let links: FileLinks
    let syncTimeoutSeconds: Int
    /// Base of the URLs handed out; nil to use the request's host.
    let publicBaseURL: String?

    // Not inlined: a waiting request keeps its caller's async frame alive, so frames stay small.
    @inline(never) func answer(
        _ params: ImageRequest,
        isDraft: Bool,
        kind: Kind,
        request: Request,
        submit: (JobService.Delivery) async throws -> JobService.Submitted
    ) async throws -> Response {
        if params.stream {
            let submitted = try await submit(.stream)
            guard let watch = submitted.watch else { throw EaselError.server("a streamed job came back without its events") }
            return stream(watch, params: submitted.job.payload.request, headers: headers(submitted, isDraft: isDraft), kind: kind)
        }
        let submitted = try await submit(.wait(seconds: syncTimeoutSeconds))
        guard let (job, outputs) = submitted.finished else {
            let id = submitted.job.id
            throw JobOutcomeError(
                error: EaselError(
                    status: 504,
                    type: "server_error",
                    code: "timeout",
                    param: nil,
                    message: "The \(kind.noun) is not ready after \(syncTimeoutSeconds) s. It is still job \(id): follow it at /api/jobs/\(id)."
                ),
                jobID: id,
                rateLimit: submitted.rateLimit,
                isDraft: isDraft
            )
        }
        switch job.status {
        case .succeeded:
            return try await respond(job, outputs: outputs, request: request, headers: headers(submitted, isDraft: isDraft))
        case .cancelled:
            throw JobOutcomeError(
                error: .conflict("Job \(job.id) was cancelled before it finished.", code: "job_cancelled"),
                jobID: job.id,
                rateLimit: submitted.rateLimit,
                isDraft: isDraft
            )
        default:
            throw JobOutcomeError(
                error: job.lastError?.easelError ?? .server("The job failed without an error record."),
                jobID: job.id,
                rateLimit: submitted.rateLimit,
                isDraft: isDraft
            )
        }
    }

    private func headers(_ submitted: JobService.Submitted, isDraft: Bool) -> HTTPFields {
        var headers = HTTPFields(rateLimit: submitted.rateLimit)
        headers[.xEaselJobID] = submitted.job.id
        if isDraft { headers[.xEaselDraft] = "true" }
        return headers.adding(cache: submitted.cache)
    }

    /// A finished job in the `ImagesResponse` shape: base64 images, or signed URLs that open without a key.
    @inline(never) private func respond(
        _ job: JobRecord,
        outputs inMemory: [JobOutput],
        request: Request,
        headers: HTTPFields
    ) async throws -> Response {
        let outputs = try await jobs.outputs(of: job, inMemory: inMemory)
        let params = job.payload.request
        let size = outputs.first.map { "\($0.asset.width)x\($0.asset.height)" } ?? params.resolvedSize.description
        var body: [String: JSONValue] = [
            "created": .int((job.finishedAt ?? job.createdAt).unixSeconds),
            "background": .string(params.resolvedBackground.rawValue),
            "output_format": .string(params.outputFormat.rawValue),
            "quality": .string(params.resolvedQuality),
            "size": .string(size),
            "usage": (job.result?.usage ?? .zero).json,
        ]
        if let user = params.user { body["safety_identifier"] = .string(user) }
        let base = baseURL(for: request)
        let urls = params.responseFormat == .url ? outputs.map { base + links.signedPath(assetID: $0.asset.id) } : nil
        var fields = headers
        fields[.xEaselCostUSD] = Money.usd(jobs.cost(of: job))
        fields[.contentType] = "application/json"
        return Response(
            status: .ok,
            headers: fields,
            body: .init(byteBuffer: Base64JSON.imagesResponse(body, images: outputs.map { ($0.data ?? Data(), $0.base64) }, urls: urls))
        )
    }

    /// The SSE form: partial images as they come, then one `completed` event per image.
    @inline(never) private func stream(_ watch: JobWatch, params: ImageRequest, headers: HTTPFields, kind: Kind) -> Response {
        let jobs = self.jobs
        let deadline = ContinuousClock.now + .seconds(syncTimeoutSeconds)
        return ServerSentEvents.response(headers: headers) { send in
            func common(_ type: String) -> [String: JSONValue] {
                [
                    "type": .string("\(kind.rawValue).\(type)"),
                    "created_at": .int(Int64(Date().timeIntervalSince1970)),
                    "size": .string(params.size.description),
                    "quality": .string(params.quality),
                    "background": .string(params.background.rawValue),
                    "output_format": .string(params.outputFormat.rawValue),
                ]
            }
            func sendError(_ error: EaselError) {
                send(ServerSentEvents.frame(event: "error", data: .object(["type": "error", "error": error.errorObject])))
            }
            for await event in jobs.events(of: watch, deadline: deadline) {
                switch event {
                case .partial(_, let partial):
                    var object = common("partial_image")
                    object["partial_image_index"] = .int(partial.imageIndex * params.partialImages + partial.partialIndex)
                    send(Base64JSON.event("\(kind.rawValue).partial_image", object, base64Key: "b64_json", data: partial.data))
                default:
                    guard let job = event.job, job.status.isTerminal else { continue }
                    if job.status == .succeeded {
                        let outputs: [JobOutput]
                        do {
                            outputs = try await jobs.outputs(of: job, inMemory: event.outputs)
                        } catch {
                            sendError(.server("Could not read the finished images of job \(job.id)."))
                            return
                        }
                        let usage = job.result?.usage ?? .zero
                        for (index, output) in outputs.enumerated() {
                            var object = common("completed")
                            object["usage"] = usage.share(index, of: outputs.count).json
                            if let user = params.user { object["safety_identifier"] = .string(user) }
                            send(
                                Base64JSON.event(
                                    "\(kind.rawValue).completed",
                                    object,
                                    base64Key: "b64_json",
                                    data: output.data ?? Data(),
                                    base64: output.base64
                                )
                            )
                        }
                    } else if job.status == .cancelled {
                        sendError(.conflict("Job \(job.id) was cancelled.", code: "job_cancelled"))
                    } else {
                        sendError(job.lastError?.easelError ?? .server("Job \(job.id) failed."))
                    }
                    return
                }
            }
            sendError(
                EaselError(
                    status: 504,
                    type: "server_error",
                    code: "timeout",
                    param: nil,
                    message: "The image is not ready yet; follow job \(watch.jobID) at /api/jobs/\(watch.jobID)."
                )
            )
        }
    }

    func baseURL(for request: Request) -> String {
        if let publicBaseURL { return publicBaseURL.hasSuffix("/") ? String(publicBaseURL.dropLast()) : publicBaseURL }
        return "http://\(request.head.authority ?? "127.0.0.1")"
    }
}
