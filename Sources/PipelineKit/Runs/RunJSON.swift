import Foundation

extension RunRecord {
    /// The run as the JSON API shows it.
    public var jsonValue: Value {
        var members: [String: Value] = [
            "id": .int(Int(id.rawValue)), "configuration": .string(configurationName), "status": .string(status.rawValue),
            "source": source.jsonValue, "trigger": .string(trigger), "created_at": .string(iso8601(createdAt)),
        ]
        if let concurrencyGroup { members["concurrency_group"] = .string(concurrencyGroup) }
        if let reason { members["reason"] = .string(reason) }
        if let startedAt { members["started_at"] = .string(iso8601(startedAt)) }
        if let finishedAt { members["finished_at"] = .string(iso8601(finishedAt)) }
        return .map(members)
    }
}

extension StepRecord {
    /// The step as the JSON API shows it.
    public var jsonValue: Value {
        var members: [String: Value] = [
            "sequence": .int(sequence), "path": .string(path.description), "name": .string(actionName), "task": .string(task),
            "state": .string(state.rawValue), "attempts": .int(attempts), "failures": .int(failures),
        ]
        if let result { members["result"] = result }
        if let error { members["error"] = .string(error) }
        if let startedAt { members["started_at"] = .string(iso8601(startedAt)) }
        if let finishedAt { members["finished_at"] = .string(iso8601(finishedAt)) }
        return .map(members)
    }
}

extension LogChunk {
    /// The chunk as the JSON API shows it.
    public var jsonValue: Value {
        ["offset": .int(Int(offset)), "step": .int(step), "text": .string(text)]
    }
}

func iso8601(_ date: Date) -> String {
    date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
}
