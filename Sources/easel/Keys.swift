import ArgumentParser
import EaselCore
import EaselServer
import Foundation

/// `easel keys create --user NAME`: creates the user if needed and prints a new API key, once.
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create API keys (and their users).",
        subcommands: [Create.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an API key for a user (made if missing); the key is shown once.")

        @OptionGroup var common: CommonOptions

        @Option(help: "User name.")
        var user: String

        @Option(help: "Plan for a new user (or to switch an existing user to).")
        var plan: String?

        @Option(help: "Role for a new user: admin or user.")
        var role: String = "user"

        @Flag(help: "Set a studio password for a new user (read from the EASEL_PASSWORD variable, never from the command line).")
        var passwordFromEnv = false

        @Option(help: "A label for the key.")
        var name: String?

        func run() async throws {
            var config = try common.config()
            config.workerConcurrency = 0
            let runtime = try await EaselRuntime.open(config: config, logger: try common.bootstrapLogging(config))
            do {
                guard let parsedRole = EaselUser.Role(rawValue: role), parsedRole != .guest else {
                    throw ValidationError("--role must be admin or user")
                }
                var account = try await runtime.userStore.user(name: user)
                if account == nil {
                    let password = passwordFromEnv ? ProcessInfo.processInfo.environment["EASEL_PASSWORD"] : nil
                    account = try await runtime.accounts.createUser(name: user, role: parsedRole, plan: plan, password: password)
                    print("created user \(user) (role \(role), plan \(account!.plan))")
                } else if let plan, let existing = account {
                    account = try await runtime.accounts.setPlan(plan, of: existing)
                }
                let (key, _) = try await runtime.accounts.createKey(userID: account!.id, name: name)
                print(key)
            } catch let error as EaselError {
                try await runtime.close()
                throw ValidationError(error.message)
            }
            try await runtime.close()
        }
    }
}

/// `easel credits grant --user NAME --usd 10`.
struct Credits: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "credits", abstract: "Grant credits.", subcommands: [Grant.self])

    struct Grant: AsyncParsableCommand {
        @OptionGroup var common: CommonOptions

        @Option(help: "User name.")
        var user: String

        @Option(help: "Amount in US dollars, e.g. 10 or 2.50 (negative takes credits away).")
        var usd: String

        func run() async throws {
            guard let micros = Money.parseUSD(usd) else { throw ValidationError("--usd must be an amount such as 10 or 2.50") }
            var config = try common.config()
            config.workerConcurrency = 0
            let runtime = try await EaselRuntime.open(config: config, logger: try common.bootstrapLogging(config))
            guard let account = try await runtime.userStore.user(name: user) else {
                try await runtime.close()
                throw ValidationError("no user named \(user)")
            }
            let balance = try await runtime.billing.grant(userID: account.id, micros: micros, note: "cli")
            print("\(user): balance \(Money.usd(balance)) USD")
            try await runtime.close()
        }
    }
}
