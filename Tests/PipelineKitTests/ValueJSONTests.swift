import PipelineKit
import Testing

@Suite("Value ⇄ JSON: one reader (JSONDocument), one writer")
struct ValueJSONTests {
    @Test("compact and pretty text read back to the same value; pretty text indents by two, keys sorted")
    func roundTrip() throws {
        let value: Value = ["output": "tests passed\n", "exit_code": 0, "steps": [1, .double(2.5), true, nil], "empty": [:], "none": []]
        #expect(try Value(jsonText: value.jsonText) == value)
        #expect(try Value(jsonText: value.prettyJSONText) == value)
        #expect(value.jsonText == #"{"empty":{},"exit_code":0,"none":[],"output":"tests passed\n","steps":[1,2.5,true,null]}"#)
        #expect(value.prettyJSONText == """
            {
              "empty": {},
              "exit_code": 0,
              "none": [],
              "output": "tests passed\\n",
              "steps": [
                1,
                2.5,
                true,
                null
              ]
            }
            """)
    }

    @Test("the reader is strict: bad UTF-8, trailing text and deep nesting are refused with the byte offset")
    func strict() {
        #expect(throws: PipelineError.self) { try Value(jsonText: "{\"a\": 1} x") }
        #expect(throws: PipelineError.self) { try Value(jsonText: String(repeating: "[", count: 300) + String(repeating: "]", count: 300)) }
        let invalid: [UInt8] = [0x22, 0xFF, 0x22]
        #expect(throws: PipelineError.self) { try invalid.withUnsafeBufferPointer { try Value(jsonBytes: $0) } }
        #expect(throws: PipelineError.self) { try Value(jsonText: "[1,]") }
    }
}
