package dev.opg.verify;

import dev.opg.core.transcript.Dataflow;

/** Reports a {@link Dataflow.Mismatch} as the report's {@link Finding}: a header field or a step field. */
final class DataflowFindings {
    private DataflowFindings() {}

    static Finding of(Dataflow.Mismatch m, Dataflow flow) {
        if (m.inHeader()) {
            HeaderField f = switch (m.what()) {
                case "model id" -> HeaderField.MODEL_ID;
                case "inputs" -> HeaderField.INPUTS;
                default -> HeaderField.OUTPUTS;
            };
            return new HeaderMismatch(f, m.expected(), m.found());
        }
        StepField f = switch (m.what()) {
            case "name" -> StepField.NAME;
            case "presence" -> StepField.PRESENCE;
            case "step inputs" -> StepField.INPUTS;
            default -> StepField.OUTPUTS;
        };
        String name = m.step() < flow.steps().size() ? flow.steps().get((int) m.step()).name() : "(not a step of the model)";
        return new Divergence(m.step(), name, f, m.expected(), m.found());
    }
}
