import EaselFuzzTargets
import Foundation

/// The target `EASEL_FUZZ_TARGET` names, looked up once.
let selectedTarget: FuzzTargets.Target = {
    let name = ProcessInfo.processInfo.environment["EASEL_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTargets.named(name) else {
        let names = FuzzTargets.all.map(\.name).joined(separator: ", ")
        FileHandle.standardError.write(Data("easel-fuzz: set EASEL_FUZZ_TARGET to one of: \(names)\n".utf8))
        exit(2)
    }
    return target
}()

/// libFuzzer's entry point (libFuzzer supplies `main`): one input through the selected target.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selectedTarget(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}
