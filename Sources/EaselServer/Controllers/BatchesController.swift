import EaselCore
import EaselMultipart
import Foundation
import Hummingbird

/// Batches: create (or dry-run) from JSON, or multipart with a `spec` field and a `rows` CSV file; follow,
/// cancel, retry failed items, and export the images with a manifest as a zip that is streamed, not built.
struct BatchesController {
    let batches: BatchService
    let webhooks: WebhookService
    let maxBodyBytes: Int
    let pollIntervalMs: Int64

    func addRoutes(to router: some RouterMethods<AuthenticatedContext>) {
        router.post("/api/batches", use: create)
        router.get("/api/batches", use: list)
        router.get("/api/batches/{id}", use: show)
        router.delete("/api/batches/{id}", use: cancel)
        router.post("/api/batches/{id}/retry", use: retry)
        router.get("/api/batches/{id}/events", use: events)
        router.get("/api/batches/{id}/export.zip", use: export)
    }

    @Sendable func create(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        var (body, csv) = try await read(request, maxRows: context.identity.plan.maxBatchItems)
        let webhookURL = try FieldReader(fields: body).string("webhook_url")
        body.removeValue(forKey: "webhook_url")
        let requester = BatchService.Requester(identity: context.identity)
        let planned = try await batches.plan(body, csv: csv, requester: requester)
        if try FieldReader(fields: body).bool("dry_run") ?? false {
            return .json(Representations.dryRun(planned))
        }
        let hook = try await webhookURL.asyncMap { try await webhooks.adHoc(url: $0, userID: context.identity.userID) }
        let summary = try await batches.create(planned, requester: requester, webhookEndpointID: hook?.endpoint.id)
        return .json(
            Self.withWebhook(Representations.batch(summary), hook),
            status: .accepted,
            headers: [.location: "/api/batches/\(summary.batch.id)"]
        )
    }

    /// The spec as JSON, or from multipart: `spec` (JSON text) and a `rows` file (CSV, header = variables).
    func read(_ request: Request, maxRows: Int) async throws -> ([String: JSONValue], CSVTable?) {
        let contentType = request.headers[.contentType] ?? ""
        guard contentType.lowercased().hasPrefix("multipart/") else {
            return (try await request.jsonObject(limit: maxBodyBytes), nil)
        }
        guard let boundary = MultipartReader.boundary(contentType: contentType) else {
            throw EaselError.invalidRequest("The multipart/form-data Content-Type needs a boundary.", param: nil, code: "invalid_multipart")
        }
        let limits = MultipartLimits(maxFileBytes: maxBodyBytes, maxFieldBytes: 1024 * 1024, maxParts: 8, maxTotalBytes: maxBodyBytes + 1024 * 1024)
        let parts: [MultipartPart]
        do {
            parts = try await MultipartReader.read(request.body, boundary: boundary, limits: limits)
        } catch let error as MultipartError {
            throw EaselError.invalidRequest("The multipart/form-data body could not be read: \(error).", param: nil, code: "invalid_multipart")
        }
        var body: [String: JSONValue] = [:]
        var csv: CSVTable?
        for part in parts {
            switch part.name {
            case "spec":
                do {
                    guard case .object(let fields) = try JSONParser.parse(Array(part.data)) else {
                        throw EaselError.invalidRequest("", param: "spec")
                    }
                    body = fields
                } catch {
                    throw EaselError.invalidRequest("'spec' must be a JSON object (the batch's fields).", param: "spec", code: "invalid_json")
                }
            case "rows", "csv":
                csv = try CSVTable(bytes: Array(part.data), maxRows: maxRows, param: "csv")
            default:
                throw EaselError.invalidRequest(
                    "Unexpected part '\(part.name)': send 'spec' and 'rows'.",
                    param: part.name,
                    code: "unknown_parameter"
                )
            }
        }
        return (body, csv)
    }

    @Sendable func list(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        let paging = try PageQuery(request, cursorPrefix: "bat")
        let page = try await batches.list(identity: context.identity, before: paging.before, limit: paging.limit)
        var items: [JSONValue] = []
        for batch in page.items { items.append(Representations.batch(try await batches.summary(of: batch), items: false)) }
        return Representations.page(items, hasMore: page.hasMore, lastID: page.items.last?.id)
    }

    /// With its items: bounded by construction, by the plan's most items per batch.
    @Sendable func show(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        Representations.batch(try await batches.summary(try context.parameters.require("id"), identity: context.identity))
    }

    @Sendable func cancel(_ request: Request, context: AuthenticatedContext) async throws -> JSONValue {
        Representations.batch(try await batches.cancel(try context.parameters.require("id"), identity: context.identity))
    }

    @Sendable func retry(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let summary = try await batches.retry(try context.parameters.require("id"), requester: .init(identity: context.identity))
        return .json(Representations.batch(summary), status: .accepted)
    }

    /// SSE: `progress` (counts, cost, ETA) whenever they change, then `finished`.
    @Sendable func events(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let identity = context.identity
        let first = try await batches.summary(try context.parameters.require("id"), identity: identity)
        let batches = self.batches
        let interval = max(100, min(pollIntervalMs * 4, 1000))
        return ServerSentEvents.response { send in
            var summary = first
            var last: JSONValue?
            while true {
                let progress = Representations.batch(summary, items: false)
                if progress != last {
                    send(ServerSentEvents.frame(event: "progress", data: progress))
                    last = progress
                }
                if summary.isFinished {
                    send(ServerSentEvents.frame(event: "finished", data: Representations.batch(summary)))
                    return
                }
                try? await Task.sleep(for: .milliseconds(interval))
                if Task.isCancelled { return }
                guard let next = try? await batches.summary(of: summary.batch) else { return }
                summary = next
            }
        }
    }

    /// The images of the batch's finished items with `manifest.csv` and `manifest.json`, streamed file by file.
    @Sendable func export(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let export = try await batches.export(id, identity: context.identity)
        let batches = self.batches
        let headers: HTTPFields = [
            .contentType: "application/zip",
            .contentDisposition: ContentDisposition.header(attachment: true, filename: "\(id).zip", fallback: "\(id).zip"),
            .cacheControl: "no-store",
        ]
        let entries = export.rows.flatMap { row in zip(row.fileNames, row.assets).map { (name: $0, asset: $1) } }
        let body = ResponseBody { writer in
            try await ZipStream.write(entries, data: batches.data(of:), manifest: export.manifest(batchID: id)) { try await writer.write($0) }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}
