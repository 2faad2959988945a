package dev.opg.cli;

import dev.opg.chain.ModelRegistryClient;
import dev.opg.chain.ModelResolutionException;
import dev.opg.chain.ModelResolver;
import dev.opg.chain.TransactionSender;
import dev.opg.core.model.ModelIds;
import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.store.ModelStore;
import dev.opg.core.transcript.TranscriptCodec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/**
 * {@code --model-id ID} for {@code opg verify}: the model to verify with, resolved by its id through
 * the registry ({@code --rpc}, {@code --registry}, optionally {@code --publisher}) and the local
 * store ({@code --store}) by {@link ModelResolver}, which checks the stored artifact's digest and
 * recomputes its model id before anything runs. Without {@code --registry} the store alone
 * resolves the id. The transcript must name the same model id, else the command stops (exit 2):
 * the verifier's own model-id check then binds what it loads to the id asked for.
 */
public final class ModelIdOptions {
    private static final Pattern HEX64 = Pattern.compile("(0x)?[0-9a-fA-F]{64}");

    @Option(names = "--model-id", paramLabel = "ID",
            description = "Instead of --model: the model id (64 hex digits); resolved through --registry (if given) and --store, "
                    + "the stored artifact's digest and model id checked before anything runs.")
    String modelId;

    @Option(names = "--registry", paramLabel = "ADDR", description = "With --model-id: the ModelRegistry contract to resolve it through (needs --rpc).")
    String registry;

    @Option(names = "--rpc", paramLabel = "URL", description = "With --registry: the JSON-RPC endpoint.")
    String rpc;

    @Option(names = "--publisher", paramLabel = "ADDR",
            description = "With --registry: only this publisher's registration of the model id counts.")
    String publisher;

    @Option(names = "--store", paramLabel = "DIR", description = "With --model-id: the local model store (default: $OPG_MODEL_STORE, else ~/.opg/models).")
    Path store;

    /**
     * The model path to use: {@code model} itself, or the checked artifact {@code --model-id}
     * resolves to (one line on {@code err} says which).
     */
    Path resolve(Path model, Path transcript, PrintWriter err) throws IOException {
        if (modelId == null) {
            if (model == null) {
                throw CliException.usage("a model is needed: --model PATH, or --model-id ID to resolve it through the registry and the store");
            }
            if (registry != null || rpc != null || publisher != null || store != null) {
                throw CliException.usage("--registry, --rpc, --publisher and --store go with --model-id, not with --model");
            }
            return model;
        }
        if (model != null) {
            throw CliException.usage("--model and --model-id exclude each other: give one");
        }
        if ((registry == null) != (rpc == null)) {
            throw CliException.usage("--registry and --rpc go together");
        }
        if (publisher != null && registry == null) {
            throw CliException.usage("--publisher needs --registry (and --rpc)");
        }
        Digest id = digest(modelId, "--model-id");
        if (!Files.isRegularFile(transcript)) {
            throw CliException.usage("transcript " + transcript + " does not exist or is not a file");
        }
        TranscriptCodec.ClaimedTranscript claim;
        try {
            claim = TranscriptCodec.readClaim(transcript);
        } catch (MalformedInputException e) {
            throw new CliException(ExitCodes.USAGE, "transcript " + transcript + " is not a valid opg transcript: " + e.getMessage(), e);
        }
        Digest named = claim.transcript().header().modelId();
        if (!named.equals(id)) {
            throw CliException.usage("transcript " + transcript + " is about model " + named.hex() + ", not --model-id " + id.hex()
                    + "; it cannot be verified with that model");
        }
        var profile = claim.transcript().profile();
        ModelIds ids = ModelIds.withThreads(profile.intraOpThreads(), profile.interOpThreads());
        ModelStore s = new StoreOptions(store).open();
        ModelResolver.Resolved r;
        if (registry == null) {
            r = resolve(new ModelResolver(null, s, ids), id);
        } else {
            try (TransactionSender sender = Chain.connect(rpc, Chain.readOnly())) {
                ModelRegistryClient client = RegistryOptions.at(sender, registry);
                r = resolve(new ModelResolver(client, s, ids), id);
            }
        }
        err.println("opg: " + r.describe());
        err.flush();
        return r.model().artifact();
    }

    private ModelResolver.Resolved resolve(ModelResolver resolver, Digest id) throws IOException {
        try {
            return resolver.resolve(id, publisher == null ? null : Chain.address(publisher, "--publisher"));
        } catch (ModelResolutionException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage(), e);
        }
    }

    /** A 64-hex-digit id or digest (an optional 0x prefix accepted), or a usage error naming {@code option}. */
    static Digest digest(String value, String option) {
        if (value == null || !HEX64.matcher(value).matches()) {
            throw CliException.usage(option + " must be 64 hex digits (a model id or digest); got " + value);
        }
        return Digest.fromHex(value.startsWith("0x") ? value.substring(2) : value);
    }
}
