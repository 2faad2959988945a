package dev.opg.cli;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.opg.core.io.Inputs;
import dev.opg.core.model.LoadedModel;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.witness.Witness;
import dev.opg.verify.BisectionResult;
import dev.opg.verify.DisputeRefusedException;
import dev.opg.verify.DjlReference;
import dev.opg.verify.ModelParty;
import dev.opg.verify.Referee;
import dev.opg.verify.Ruling;
import dev.opg.verify.TensorSource;
import dev.opg.verify.TranscriptParty;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code opg bisect A B}: finds the first step where two transcripts of the same model and input
 * part (O(log n) Merkle queries), then lets the referee re-run that one step from the witness
 * tensors and say which transcript is right. Exit 0 if the transcripts agree, 1 if they diverge
 * (the ruling is printed).
 *
 * <p>At block or output granularity (FULL mode) each party that has a witness is played from its
 * transcript, its witness and its model ({@link ModelParty}): when the parties disagree on a
 * block's outputs, each re-runs that block at node granularity from its committed inputs and the
 * dispute descends to one node (spec section 3.14). {@code --model-a} and {@code --model-b} name
 * the model each party computes with (default {@code --model}), so that a party that proved with
 * an altered model can be represented; the referee's own model is always {@code --model}. A party
 * without a witness cannot descend and loses where a descent is needed (where neither can, the
 * referee re-runs the disputed block whole).
 */
@Command(name = "bisect", mixinStandardHelpOptions = true,
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:the transcripts agree", "1:they diverge (the divergent step and the referee's verdict are printed)", "2:bad usage or unreadable input (the message says which)", "3:environment, chain or internal error"},
        description = {"Find the first step where two transcripts diverge and let the referee re-run that step alone.",
                "At block or output granularity the dispute descends into the disputed block: each party re-runs it node by "
                        + "node from its witness with its model (--model-a, --model-b; default --model) and the referee re-runs one node."})
public final class BisectCommand implements Callable<Integer> {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BisectCommand.class);
    @Spec
    CommandSpec spec;
    @Mixin
    CommonOptions common;

    @Parameters(index = "0", paramLabel = "A", description = "First transcript.")
    Path a;

    @Parameters(index = "1", paramLabel = "B", description = "Second transcript.")
    Path b;

    @Option(names = "--model", required = true, paramLabel = "PATH", description = "Model directory, .onnx or .pt file.")
    Path model;

    @Option(names = "--input", paramLabel = "FILE",
            description = "The input the dispute is about (needed when the roots differ): the referee derives every step from the model and it.")
    Path input;

    @Option(names = "--witness-a", paramLabel = "DIR", description = "Witness of transcript A (FULL mode: at least one witness when the roots differ).")
    Path witnessA;

    @Option(names = "--witness-b", paramLabel = "DIR", description = "Witness of transcript B.")
    Path witnessB;

    @Option(names = "--model-a", paramLabel = "PATH",
            description = "The model party A computes with when it re-runs a disputed block node by node (default: --model). "
                    + "The referee always runs --model.")
    Path modelA;

    @Option(names = "--model-b", paramLabel = "PATH",
            description = "The model party B computes with when it re-runs a disputed block node by node (default: --model).")
    Path modelB;

    @Option(names = "--profile-of", paramLabel = "A|B",
            description = "When the transcripts' profiles differ: the one whose profile is the agreed one (the referee runs "
                    + "under it; the other party loses). Without it such a dispute is refused.")
    String profileOf;

    @Option(names = "--no-child",
            description = "Never re-run in a child JVM. By default, when only the CPU kernel set (ATEN_CPU_CAPABILITY) or the "
                    + "engine's threads keep this process from the transcripts' PyTorch profile, the bisection re-runs in a "
                    + "child JVM started with the recorded environment.")
    boolean noChild;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (profileOf != null && !profileOf.equalsIgnoreCase("a") && !profileOf.equalsIgnoreCase("b")) {
            throw CliException.usage("--profile-of takes A or B; got '" + profileOf + "'");
        }
        Transcript ta = Transcripts.read(a);
        Transcript tb = Transcripts.read(b);
        if (ta.root().equals(tb.root())) {
            out.printf("AGREE the transcripts have the same root %s%n", ta.root().hex());
            out.flush();
            return ExitCodes.OK;
        }
        Transcripts.requireEngine(a, ta, model);
        Transcripts.requireEngine(b, tb, model);
        if (input == null) {
            throw CliException.usage("the transcripts differ; the referee settles them against the model and the input: pass --input FILE");
        }
        if (witnessA == null && witnessB == null && ta.header().mode() == dev.opg.core.transcript.CommitmentMode.FULL) {
            throw CliException.usage("the referee needs step tensors: pass --witness-a DIR and/or --witness-b DIR");
        }
        List<TensorSource> sources = new ArrayList<>();
        Witness wa = witnessA == null ? null : Witness.readDirectory(witnessA);
        Witness wb = witnessB == null ? null : Witness.readDirectory(witnessB);
        if (wa != null) {
            sources.add(TensorSource.of(wa));
        }
        if (wb != null) {
            sources.add(TensorSource.of(wb));
        }
        TensorSource tensors = TensorSource.firstOf(sources);
        // The referee's terms are never taken from whichever transcript is named first.
        DeterminismProfile p;
        if (ta.profile().equals(tb.profile())) {
            p = ta.profile();
        } else if (profileOf != null) {
            p = profileOf.equalsIgnoreCase("a") ? ta.profile() : tb.profile();
        } else {
            out.printf("DIVERGE the roots differ (%s, %s)%n", ta.root().hex(), tb.root().hex());
            out.printf("referee: REFUSED: the transcripts are under different profiles (%s); name the agreed one with "
                    + "--profile-of A or --profile-of B, and the party off it loses%n", ChildJvm.differingFields(ta.profile(), tb.profile()));
            out.flush();
            return ExitCodes.INVALID;
        }
        ChildJvm.Measured here = ChildJvm.measure(p);
        ChildJvm.Plan plan = ChildJvm.plan(p, here, ChildJvm.cpuFlags(), noChild, ChildJvm.isChild());
        if (plan.fork()) {
            return inChild(plan, out);
        }
        if (here.profile() == null) {
            throw new CliException(ExitCodes.ENVIRONMENT, "cannot apply the transcripts' profile: " + here.problem().getMessage()
                    + (plan.reason() == null ? "" : " (" + plan.reason() + ")"), here.problem());
        }
        DeterminismProfile profile = here.profile();
        List<String> notes = new ArrayList<>();
        if (!here.matches(p)) {
            notes.add("the referee runs under " + ChildJvm.differingFields(profile, p) + " other than transcript A's; a party "
                    + "whose profile is not the referee's loses" + (plan.reason() == null ? "" : " (" + plan.reason() + ")"));
        }
        if (ChildJvm.isChild()) {
            notes.add(ChildJvm.childNote());
        }
        Ruling ruling;
        try (Model m = LoadedModel.load(model);
                NDManager manager = m.getNDManager().newSubManager();
                Parties parties = new Parties(m)) {
            NDList x = Inputs.toNDList(manager, Inputs.read(input));
            try (DjlReference reference = new DjlReference(m, profile, x)) {
                TranscriptParty pa = parties.party(ta, wa, modelA, profile, x);
                TranscriptParty pb = parties.party(tb, wb, modelB, profile, x);
                ruling = new Referee(reference, tensors).settle(pa, pb);
            } catch (DisputeRefusedException e) {
                out.printf("DIVERGE the roots differ (%s, %s)%n", ta.root().hex(), tb.root().hex());
                out.printf("referee: REFUSED: %s%n", e.getMessage());
                out.flush();
                return ExitCodes.INVALID;
            } catch (ai.djl.engine.EngineException | IllegalArgumentException e) {
                throw CliException.usage("the model cannot run on " + input + ": " + e.getMessage());
            }
        }
        BisectionResult r = ruling.bisection();
        switch (r) {
            case BisectionResult.Agreement g -> out.printf("AGREE the transcripts have the same root %s (%d queries)%n", ta.root().hex(), g.queries());
            case BisectionResult.FirstDifference f -> {
                String name = f.stepIndex() < ta.steps().size() ? ta.steps().get((int) f.stepIndex()).name() : "(missing in A)";
                out.printf("DIVERGE first divergent step %d (%s), found with %d Merkle queries over %d steps%n",
                        f.stepIndex(), name, f.queries(), Math.max(ta.steps().size(), tb.steps().size()));
            }
            case BisectionResult.HeaderConflict h -> out.printf("DIVERGE the headers differ in %s: different runs, no single step to settle (%d queries)%n",
                    h.field(), h.queries());
            case BisectionResult.OutputsOnly o -> out.printf("DIVERGE every step agrees; only the claimed outputs differ (%d queries)%n", o.queries());
            case BisectionResult.Equivocation e -> out.printf("DIVERGE party %s equivocated: %s (%d queries)%n", e.party(), e.reason(), e.queries());
        }
        String who = switch (ruling.verdict()) {
            case FIRST_CORRECT -> "A (" + a + ") is right, B is wrong";
            case SECOND_CORRECT -> "B (" + b + ") is right, A is wrong";
            case BOTH_WRONG -> "both A and B are wrong";
            case NO_DISPUTE -> "no dispute";
            case UNDECIDED -> "undecided";
        };
        ruling.descended().ifPresent(d -> {
            if (d.nodeIndex() >= 0) {
                out.printf("descent: block %d (%s) re-run node by node by both parties; the dispute ends at node %d of the block (%s), "
                        + "found with %d Merkle queries over the sub-transcripts%n", d.blockIndex(), d.blockName(), d.nodeIndex(),
                        d.nodeName(), d.queries());
            } else {
                out.printf("descent: block %d (%s): the dispute ended before one node (a party did not descend to its committed "
                        + "block boundary)%n", d.blockIndex(), d.blockName());
            }
        });
        Ruling.Exchange x = ruling.exchange();
        out.printf("exchange: %d rounds, %d bytes (hashes %d, leaves %d, tensors %d); referee work %.1f ms%n", x.rounds(), x.bytes(),
                x.hashBytes(), x.leafBytes(), x.tensorBytes(), x.refereeNanos() / 1e6);
        out.printf("referee: %s: %s%n", ruling.verdict(), who);
        out.printf("  %s%n", ruling.reason());
        for (String n : notes) {
            out.println("  note: " + n);
        }
        out.flush();
        return r instanceof BisectionResult.Agreement ? ExitCodes.OK : ExitCodes.INVALID;
    }

    /**
     * The parties of a dispute, played from their transcripts: a party at block or output
     * granularity in FULL mode that has a witness is a {@link ModelParty} over its own model
     * (the referee's loaded model where it names the same path), else it answers from its
     * transcript alone. Closes what it loaded and wrapped.
     */
    private final class Parties implements AutoCloseable {
        private final Model refereeModel;
        private final List<AutoCloseable> opened = new ArrayList<>();

        Parties(Model refereeModel) {
            this.refereeModel = refereeModel;
        }

        TranscriptParty party(Transcript t, Witness w, Path own, DeterminismProfile profile, NDList x) throws IOException {
            dev.opg.core.transcript.TranscriptHeader h = t.header();
            if (w == null || h.granularity() == Granularity.NODE || h.mode() != CommitmentMode.FULL) {
                return w == null ? TranscriptParty.honest(t) : TranscriptParty.honest(t, TensorSource.of(w));
            }
            Model m = refereeModel;
            if (own != null && !own.toAbsolutePath().normalize().equals(model.toAbsolutePath().normalize())) {
                m = LoadedModel.load(own);
                opened.add(m);
            }
            VerifiableModel vm;
            try {
                vm = VerifiableModel.wrap(m, profile, RecordingOptions.of(h, false));
            } catch (RuntimeException e) {
                // a model that cannot run the transcript's partition cannot descend: the party answers from its transcript
                LOG.warn("party model {} cannot record the transcript's partition; the party cannot descend: {}", own == null ? model : own,
                        e.getMessage());
                return TranscriptParty.honest(t, TensorSource.of(w));
            }
            opened.add(0, vm); // closed before the model it wraps
            return new ModelParty(vm, x, t, w);
        }

        @Override
        public void close() {
            for (AutoCloseable c : opened) {
                try {
                    c.close();
                } catch (Exception e) {
                    LOG.debug("closing a party's model after the ruling failed: {}", e.getMessage());
                }
            }
        }
    }

    /** Re-runs this bisection in a child JVM started with the recorded kernel set; its exit code is the answer. */
    private int inChild(ChildJvm.Plan plan, PrintWriter out) {
        List<String> args = new ArrayList<>(List.of("bisect", a.toAbsolutePath().toString(), b.toAbsolutePath().toString(),
                "--model", model.toAbsolutePath().toString()));
        if (input != null) {
            args.addAll(List.of("--input", input.toAbsolutePath().toString()));
        }
        if (witnessA != null) {
            args.addAll(List.of("--witness-a", witnessA.toAbsolutePath().toString()));
        }
        if (witnessB != null) {
            args.addAll(List.of("--witness-b", witnessB.toAbsolutePath().toString()));
        }
        if (modelA != null) {
            args.addAll(List.of("--model-a", modelA.toAbsolutePath().toString()));
        }
        if (modelB != null) {
            args.addAll(List.of("--model-b", modelB.toAbsolutePath().toString()));
        }
        if (profileOf != null) {
            args.addAll(List.of("--profile-of", profileOf));
        }
        if (common.verbose) {
            args.add("--verbose");
        }
        out.flush();
        int code;
        try {
            code = ChildJvm.run(args, plan.capability(), plan.reason(), out, spec.commandLine().getErr());
        } catch (IOException e) {
            throw new CliException(ExitCodes.ENVIRONMENT, "the child JVM for ATEN_CPU_CAPABILITY=" + plan.capability()
                    + " could not be started: " + e.getMessage() + " (" + plan.reason() + ")", e);
        }
        if (code < ExitCodes.OK || code > ExitCodes.ENVIRONMENT) {
            throw new CliException(ExitCodes.ENVIRONMENT, "the child JVM started with ATEN_CPU_CAPABILITY=" + plan.capability()
                    + " ended with exit code " + code + " without an answer");
        }
        return code;
    }
}
