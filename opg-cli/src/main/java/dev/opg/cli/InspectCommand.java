package dev.opg.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.opg.core.Digest;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.transcript.Blocks;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptCodec;
import dev.opg.core.transcript.TranscriptHeader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code opg inspect TRANSCRIPT}: what a transcript commits to, as a table or JSON. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:shown", "2:not a readable, valid opg transcript (the message says what is wrong)"},
        description = {"Show a transcript's model id, profile, granularity (with its block cuts and scope), steps and root "
                + "(the file is fully validated first).", "At block and output granularity each step is a block of node steps, "
                + "named 'first .. last'; --json gives its first and last node step."})
public final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    CommonOptions common;

    @Parameters(index = "0", paramLabel = "TRANSCRIPT", description = "The transcript file (JSON).")
    Path transcript;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Option(names = "--all", description = "List every step (the table shows the first 20 by default).")
    boolean all;

    @Override
    public Integer call() throws IOException {
        if (GenerationCli.isGeneration(transcript)) {
            return GenerationCli.inspect(spec.commandLine().getOut(), transcript);
        }
        Transcript t = Transcripts.read(transcript);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(toJson(t));
        } else {
            printTable(t, out, all ? Integer.MAX_VALUE : 20);
        }
        out.flush();
        return ExitCodes.OK;
    }

    static void printTable(Transcript t, PrintWriter out, int maxSteps) {
        TranscriptHeader h = t.header();
        DeterminismProfile p = t.profile();
        row(out, "root", t.root().hex());
        row(out, "model id", h.modelId().hex());
        row(out, "version", String.valueOf(h.version()));
        row(out, "mode", h.mode().specName() + (h.sketchDimension() > 0 ? " (k=" + h.sketchDimension() + ")" : ""));
        row(out, "granularity", describeGranularity(h, t.steps().size()));
        if (h.granularity() == Granularity.BLOCK) {
            if (h.cuts().isEmpty()) {
                row(out, "cuts", "(none: one block)");
            }
            int shownCuts = Math.min(maxSteps, h.cuts().size());
            for (int i = 0; i < shownCuts; i++) {
                row(out, i == 0 ? "cuts" : "", "block " + (i + 2) + " starts at " + h.cuts().get(i));
            }
            if (shownCuts < h.cuts().size()) {
                row(out, "", "... " + (h.cuts().size() - shownCuts) + " more cuts (--all lists them)");
            }
        }
        row(out, "scope", h.scope().isEmpty() ? "(whole model)"
                : "block '" + h.scope() + "': a dispute's descent into that block, node by node; its inputs and outputs are the "
                        + "block's committed inputs and outputs");
        row(out, "profile", p.engine() + " " + p.engineVersion() + ", DJL " + p.djlVersion() + ", " + p.dtype().specName());
        row(out, "", "native " + p.nativeLibrary());
        row(out, "", p.os() + "/" + p.arch() + ", cpu capability " + p.cpuCapability()
                + ", threads " + p.intraOpThreads() + " intra / " + p.interOpThreads() + " inter");
        row(out, "", "graph optimizer " + onOff(p.graphOptimizer()) + ", deterministic algorithms "
                + onOff(p.deterministicAlgorithms()) + ", seed " + p.seed());
        row(out, "profile digest", h.profileDigest().hex());
        digests(out, "inputs", h.inputs());
        digests(out, "outputs", h.outputs());
        row(out, "steps", String.valueOf(t.steps().size()));
        if (t.steps().isEmpty()) {
            return;
        }
        out.println();
        boolean blocks = h.granularity() != Granularity.NODE;
        String title = blocks ? "block (first .. last node step)" : "name";
        int maxWidth = blocks ? 2 * NAME_WIDTH + Blocks.NAME_SEPARATOR.length() : NAME_WIDTH;
        int nameWidth = title.length();
        int shown = Math.min(maxSteps, t.steps().size());
        for (int i = 0; i < shown; i++) {
            nameWidth = Math.max(nameWidth, Math.min(maxWidth, shownName(t.steps().get(i).name(), blocks).length()));
        }
        out.printf("  %5s  %-" + nameWidth + "s  %3s  %3s  %s%n", "step", title, "in", "out", "first output commitment");
        for (int i = 0; i < shown; i++) {
            Step s = t.steps().get(i);
            String name = shownName(s.name(), blocks);
            String first = !s.outputs().isEmpty() ? s.outputs().get(0).hex().substring(0, 16) + "..."
                    : !s.sketches().isEmpty() ? "sketch " + s.sketches().get(0) : "-";
            int outs = s.outputs().isEmpty() ? s.sketches().size() : s.outputs().size();
            out.printf("  %5d  %-" + nameWidth + "s  %3d  %3d  %s%n", s.index(), name, s.inputs().size(), outs, first);
        }
        if (shown < t.steps().size()) {
            out.printf("  ... %d more steps (--all lists them)%n", t.steps().size() - shown);
        }
    }

    /** Names longer than this are cut short in the table (a block's first and last node step each). */
    private static final int NAME_WIDTH = 48;

    private static String shownName(String name, boolean block) {
        if (block && name.contains(Blocks.NAME_SEPARATOR)) {
            String[] fl = firstLast(name);
            return cut(fl[0]) + Blocks.NAME_SEPARATOR + cut(fl[1]);
        }
        return cut(name);
    }

    /** A long name keeps its end, where nested names (If branches, module paths) differ. */
    private static String cut(String s) {
        return s.length() > NAME_WIDTH ? "..." + s.substring(s.length() - (NAME_WIDTH - 3)) : s;
    }

    /**
     * The first and last node step of a block, read from its name ({@code first .. last}, or one
     * name for a block of one node step; split at the first separator).
     */
    static String[] firstLast(String blockName) {
        int at = blockName.indexOf(Blocks.NAME_SEPARATOR);
        return at < 0 ? new String[] {blockName, blockName}
                : new String[] {blockName.substring(0, at), blockName.substring(at + Blocks.NAME_SEPARATOR.length())};
    }

    static String describeGranularity(TranscriptHeader h, int steps) {
        return switch (h.granularity()) {
            case NODE -> "node: one step per node step (graph node or leaf block); every intermediate value committed";
            case BLOCK -> "block: " + steps + " steps, each a block of node steps (named 'first .. last'); only values crossing "
                    + "block boundaries committed";
            case OUTPUT -> "output: one step, the whole model as one block; only its inputs and outputs committed";
        };
    }

    private static String onOff(boolean b) {
        return b ? "on" : "off";
    }

    private static void row(PrintWriter out, String key, String value) {
        out.printf("%-15s %s%n", key, value);
    }

    private static void digests(PrintWriter out, String key, List<Digest> ds) {
        if (ds.isEmpty()) {
            row(out, key, "(none)");
        }
        for (int i = 0; i < ds.size(); i++) {
            row(out, i == 0 ? key : "", i + ": " + ds.get(i).hex());
        }
    }

    static String toJson(Transcript t) throws IOException {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = new JsonFactory().createGenerator(w)) {
            g.useDefaultPrettyPrinter();
            TranscriptHeader h = t.header();
            DeterminismProfile p = t.profile();
            g.writeStartObject();
            g.writeStringField("root", t.root().hex());
            g.writeStringField("modelId", h.modelId().hex());
            g.writeNumberField("version", h.version());
            g.writeStringField("mode", h.mode().specName());
            g.writeNumberField("sketchDimension", h.sketchDimension());
            g.writeStringField("granularity", h.granularity().specName());
            g.writeArrayFieldStart("cuts");
            for (String c : h.cuts()) {
                g.writeString(c);
            }
            g.writeEndArray();
            g.writeStringField("scope", h.scope());
            g.writeStringField("profileDigest", h.profileDigest().hex());
            // The profile exactly as the transcript spec encodes it (one writer for both).
            g.writeFieldName("profile");
            g.writeRawValue(new String(TranscriptCodec.encodeProfile(p), StandardCharsets.UTF_8));
            writeDigests(g, "inputs", h.inputs());
            writeDigests(g, "outputs", h.outputs());
            g.writeNumberField("stepCount", t.steps().size());
            g.writeArrayFieldStart("steps");
            for (Step s : t.steps()) {
                g.writeStartObject();
                g.writeNumberField("index", s.index());
                g.writeStringField("name", s.name());
                boolean block = h.granularity() != Granularity.NODE;
                g.writeStringField("kind", block ? "block" : "node");
                if (block) {
                    String[] fl = firstLast(s.name());
                    g.writeStringField("first", fl[0]);
                    g.writeStringField("last", fl[1]);
                }
                g.writeStringField("leafHash", t.stepLeafHash((int) s.index()).hex());
                writeDigests(g, "inputs", s.inputs());
                writeDigests(g, "outputs", s.outputs());
                g.writeNumberField("sketches", s.sketches().size());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        return w.toString();
    }

    private static void writeDigests(JsonGenerator g, String name, List<Digest> ds) throws IOException {
        g.writeArrayFieldStart(name);
        for (Digest d : ds) {
            g.writeString(d.hex());
        }
        g.writeEndArray();
    }
}
