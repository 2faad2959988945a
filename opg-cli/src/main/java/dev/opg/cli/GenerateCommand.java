package dev.opg.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.opg.core.Digest;
import dev.opg.core.generate.DecoderModel;
import dev.opg.core.generate.GenerationCodec;
import dev.opg.core.generate.GenerationRequest;
import dev.opg.core.generate.GenerationTranscript;
import dev.opg.core.generate.Generator;
import dev.opg.core.generate.LogitSketch;
import dev.opg.core.generate.SamplingParams;
import dev.opg.core.generate.StreamUpdate;
import dev.opg.core.onnx.OnnxProfiles;
import dev.opg.core.transcript.Granularity;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code opg generate}: generates text with a decoder model directory (one ONNX file in the common
 * decoder layout, tokenizer.json, generation.json) and writes the generation transcript. Prints
 * the text and the root; with {@code --stream}, one JSON line per token with the root so far and
 * its RFC 9162 consistency proof from the previous root (docs/generation.md).
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:generated (the text and root are printed, the transcript written)", "2:bad usage or unreadable input (the message says which)", "3:engine error or a file that cannot be written"},
        description = {"Generate text with a decoder model and record a verifiable generation transcript.",
                "Prints the text and the root; --stream prints one JSON line per token with the root so far and a consistency proof."})
public final class GenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    CommonOptions common;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Decoder directory: one .onnx, tokenizer.json, generation.json.")
    Path model;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "The prompt.")
    String prompt;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "64", description = "At most N new tokens (default ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0", description = "0 (default) is greedy.")
    float temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "0", description = "Keep the K most likely tokens (0, the default: all).")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "1", description = "Keep the smallest set of probability P (1, the default: all).")
    float topP;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "The sampling seed, committed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--granularity", paramLabel = "G", defaultValue = "block",
            description = "node, block (default) or output: how finely each forward pass is committed.")
    String granularity;

    @Option(names = "--no-stop", description = "Do not stop at the model's end-of-text token (generation.json eosTokenId).")
    boolean noStop;

    @Option(names = "--sketch", paramLabel = "K", defaultValue = "3",
            description = "Logit sketch values per token (2 bytes each; default ${DEFAULT-VALUE}).")
    int sketch;

    @Option(names = "--compact", description = "Write the compact commitment: the root, tokens and sketches only (same root).")
    boolean compact;

    @Option(names = "--witness", paramLabel = "FILE", description = "Also write the final KV cache, for opg verify --spot.")
    Path witness;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the transcript (JSON).")
    Path out;

    @Option(names = "--stream", description = "Print one JSON line per token: token, text, root, consistency proof.")
    boolean stream;

    @Override
    public Integer call() throws IOException {
        PrintWriter o = spec.commandLine().getOut();
        Granularity g;
        try {
            g = Granularity.fromSpecName(granularity);
        } catch (RuntimeException e) {
            throw CliException.usage("--granularity must be node, block or output; got '" + granularity + "'");
        }
        if (sketch < 0 || sketch > LogitSketch.MAX_DIMENSION) {
            throw CliException.usage("--sketch must be in 0.." + LogitSketch.MAX_DIMENSION);
        }
        if (!Files.isDirectory(model)) {
            throw CliException.usage("--model " + model + " is not a directory (one .onnx, tokenizer.json, generation.json)");
        }
        Transcripts.requireParent(out, "--out");
        Transcripts.requireParent(witness, "--witness");
        try (DecoderModel m = DecoderModel.open(model, OnnxProfiles.apply(1, 1, 0))) {
            List<Integer> stop = noStop ? List.of() : m.eosTokenId().map(List::of).orElse(List.of());
            SamplingParams s = new SamplingParams(temperature, topK, topP, seed, maxNewTokens, stop);
            GenerationRequest r = new GenerationRequest(prompt, s, g, null, sketch);
            Generator gen = new Generator(m);
            GenerationTranscript t = gen.generate(r, stream ? u -> {
                o.println(streamLine(u));
                o.flush();
            } : null);
            GenerationCodec.write(compact ? t.toCompact() : t, out);
            if (witness != null) {
                gen.lastWitness().write(witness);
            }
            List<Integer> all = new java.util.ArrayList<>(t.header().promptTokens());
            all.addAll(t.tokens());
            o.println("text: " + m.tokenizer().decode(all));
            o.println("tokens: " + t.tokens().size() + " (" + t.end().reason().specName() + ")");
            o.println("root: " + t.root().hex());
            o.println("wrote " + out + (compact ? " (compact)" : ""));
            o.flush();
        }
        return ExitCodes.OK;
    }

    /** One line of {@code --stream}: the update as canonical JSON. */
    static String streamLine(StreamUpdate u) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = new JsonFactory().createGenerator(w)) {
            g.writeStartObject();
            g.writeNumberField("index", u.index());
            g.writeNumberField("token", u.token());
            g.writeStringField(u.isEnd() ? "text" : "piece", u.piece());
            g.writeNumberField("size", u.size());
            g.writeStringField("root", u.root().hex());
            g.writeObjectFieldStart("consistency");
            g.writeNumberField("from", u.consistency().firstSize());
            g.writeArrayFieldStart("path");
            for (Digest d : u.consistency().path()) {
                g.writeString(d.hex());
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeStringField("leaf", java.util.HexFormat.of().formatHex(u.leaf()));
            g.writeArrayFieldStart("inclusion");
            for (Digest d : u.inclusion().path()) {
                g.writeString(d.hex());
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }
}
