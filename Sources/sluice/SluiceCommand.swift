import ArgumentParser

@main
struct SluiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "A persistent, log-structured message broker that speaks the Kafka protocol.",
        subcommands: [
            ServeCommand.self, TopicCommand.self, ProduceCommand.self, ConsumeCommand.self, GroupCommand.self,
            DeployCommand.self, OpsCommand.self, PauseCommand.self, ResumeCommand.self, SwapCommand.self,
            RollbackCommand.self, KillCommand.self, LogsCommand.self, ScaleCommand.self, PromoteCommand.self,
            AbortCommand.self, TailCommand.self, CompareCommand.self, GraphCommand.self, TraceCommand.self,
            UserCommand.self, AclCommand.self,
            TokenCommand.self,
        ]
    )
}
