import ArgumentParser
import EaselServer
import Foundation

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measure the draft renderer, the queue and the door on this machine.")

    func run() async throws {
        print("bench: not yet written")
    }
}
