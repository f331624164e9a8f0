import Foundation

/// A one-line spinner with the job's state and elapsed time on a terminal; plain lines otherwise.
final class ProgressIndicator: @unchecked Sendable {
    private let interactive: Bool
    private let start = Date()
    private let lock = NSLock()
    private var state = "starting"
    private var detail: String?
    private var frame = 0
    private var timer: Task<Void, Never>?
    private static let frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

    init(interactive: Bool) {
        self.interactive = interactive
        if interactive {
            timer = Task { [weak self] in
                while !Task.isCancelled {
                    self?.draw()
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
        }
    }

    func update(_ state: String, detail: String?) {
        lock.lock()
        let changed = state != self.state || detail != self.detail
        self.state = state
        self.detail = detail
        lock.unlock()
        if !interactive && changed {
            print("\(state)\(detail.map { ": \($0)" } ?? "")")
        }
        draw()
    }

    func finish(_ final: String?) {
        timer?.cancel()
        if interactive {
            let elapsed = String(format: "%.1fs", Date().timeIntervalSince(start))
            FileHandle.standardOutput.write(Data("\r\u{1B}[2K\(final.map { "✓ \($0) in \(elapsed)\n" } ?? "")".utf8))
        }
    }

    private func draw() {
        guard interactive else { return }
        lock.lock()
        frame += 1
        let line =
            "\(Self.frames[frame % Self.frames.count]) \(state)\(detail.map { " · \($0)" } ?? "") · \(String(format: "%.1fs", Date().timeIntervalSince(start)))"
        lock.unlock()
        FileHandle.standardOutput.write(Data("\r\u{1B}[2K\(line)".utf8))
    }
}
