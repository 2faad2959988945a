package dev.opg.cli;

import dev.opg.chain.anvil.AnvilNode;
import dev.opg.core.model.BlockSpec;
import dev.opg.core.engine.EngineSupport;
import dev.opg.core.engine.PyTorchSupport;
import dev.opg.core.witness.WitnessTensor;
import dev.opg.core.io.Npz;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code opg demo}: the whole story on bundled models, each step being one of the real
 * {@code opg} commands run in-process (their command lines are printed): prove, inspect, verify,
 * catch a tampered transcript, settle a dispute by bisection, and anchor and check the root on a
 * local anvil chain that the demo starts itself (unless {@code --rpc} is given). Ends with a
 * summary table; exit 0 only if every step came out as it must.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:every check came out as it must", "2:bad usage or unreadable input (the message says which)", "3:a check came out otherwise, or the environment failed (the summary says which)"},
        description = {"The end-to-end story on bundled models: prove, verify, tamper (and catch it), dispute, anchor on a chain.",
                "Starts a local anvil (from npm @foundry-rs/anvil) unless --rpc is given."})
public final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    CommonOptions common;

    @Option(names = "--rpc", paramLabel = "URL", description = "Use this chain instead of starting anvil (needs --key-file or OPG_PRIVATE_KEY).")
    String rpc;

    @Option(names = "--key-file", paramLabel = "FILE", description = "Private key for --rpc.")
    Path keyFile;

    @Option(names = "--work-dir", paramLabel = "DIR", description = "Where to write models, inputs and transcripts (default: a new temporary directory).")
    Path workDir;

    @Option(names = "--no-chain", description = "Skip the chain steps.")
    boolean noChain;

    private final List<String[]> summary = new ArrayList<>();
    private PrintWriter out;
    private boolean ok = true;

    @Override
    public Integer call() throws IOException {
        out = spec.commandLine().getOut();
        Path dir = workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("opg-demo-");
        out.println("opg demo: verifiable inference, end to end (work dir " + dir
                + (workDir == null ? ", removed at the end; pass --work-dir DIR to keep the files)" : ")"));
        try {
            return demo(dir);
        } finally {
            if (workDir == null) {
                dev.opg.core.io.FileTrees.delete(dir); // it holds only the demo's files
            }
        }
    }

    private Integer demo(Path dir) throws IOException {
        out.println();
        EngineSupport.of(PyTorchSupport.ENGINE).apply(1, 1, 42);

        Path mlp = saveDemoMlp(dir.resolve("mlp"));
        Path x = dir.resolve("digit.npz");
        Npz.write(Map.of("x", demoInput(784, 1)), x);
        Path t = dir.resolve("mlp.transcript.json");
        Path w = dir.resolve("mlp.witness");

        step("1. prove", "run an MLP (784-64-32-10, seeded weights) and record its transcript");
        Cli r = run("prove", "--model", mlp.toString(), "--input", x.toString(), "--out", t.toString(), "--witness", w.toString(),
                "--output-file", dir.resolve("mlp.output.npz").toString());
        String root = r.out.strip();
        check(r.code == 0, "prove", "root " + abbrev(root), r);

        step("2. inspect", "what the transcript commits to");
        r = run("inspect", t.toString());
        for (String line : r.out.lines().limit(32).toList()) {
            out.println("     " + line);
        }
        check(r.code == 0, "inspect", r.out.lines().filter(l -> l.startsWith("steps")).findFirst().orElse("").replaceAll("\\s+", " "), r);

        step("3. verify", "re-execute under the recorded profile and compare every step");
        r = run("verify", t.toString(), "--model", mlp.toString(), "--input", x.toString());
        check(r.code == 0, "verify", firstLine(r.out), r);

        step("4. spot-check", "check 2 random steps alone from the witness");
        r = run("verify", t.toString(), "--model", mlp.toString(), "--input", x.toString(), "--witness", w.toString(), "--spot", "2");
        check(r.code == 0, "spot-check", firstLine(r.out), r);

        step("5. tamper", "change one hex digit of step 2's output digest in the transcript file");
        Path bad = dir.resolve("mlp.tampered.json");
        Files.writeString(bad, tamper(Files.readString(t), 2), StandardCharsets.UTF_8);
        r = run("verify", bad.toString(), "--model", mlp.toString(), "--input", x.toString());
        check(r.code == 1 && r.out.startsWith("INVALID step[2]"), "tamper caught", abbrevLine(firstLine(r.out)), r);

        step("6. dispute", "a second party claims a different result; bisect and let the referee re-run one step");
        Path cheat = dir.resolve("mlp.cheat.json");
        writeCheat(t, cheat);
        r = run("bisect", t.toString(), cheat.toString(), "--model", mlp.toString(), "--input", x.toString(), "--witness-a", w.toString());
        for (String line : r.out.lines().toList()) {
            out.println("     " + line);
        }
        check(r.code == 1 && r.out.contains("referee: FIRST_CORRECT"), "dispute", firstLine(r.out).replace("DIVERGE ", ""), r);

        step("7. TorchScript", "prove and verify the bundled TorchScript module (one step: forward)");
        Path pt = dir.resolve("tiny_convnet.pt");
        try (InputStream in = DemoCommand.class.getResourceAsStream("demo/tiny_convnet.pt")) {
            Files.copy(in, pt, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        Path px = dir.resolve("ts-input.npz");
        Npz.write(Map.of("x", demoInput(16, 2)), px);
        Path pt1 = dir.resolve("ts.transcript.json");
        r = run("prove", "--model", pt.toString(), "--input", px.toString(), "--out", pt1.toString());
        Cli v = run("verify", pt1.toString(), "--model", pt.toString(), "--input", px.toString());
        check(r.code == 0 && v.code == 0, "TorchScript", firstLine(v.out), r.code != 0 ? r : v);

        Path vad = sileroModel();
        if (vad != null) {
            step("8. Silero VAD", "a third-party ONNX model (npm @ricky0123/vad-web), one step per graph node (--granularity node)");
            Path vx = dir.resolve("vad-frame.npz");
            Map<String, WitnessTensor> in = new java.util.LinkedHashMap<>();
            float[] frame = new float[512];
            for (int i = 0; i < frame.length; i++) {
                frame[i] = (float) (0.3 * Math.sin(2 * Math.PI * 140 * i / 16000.0) + 0.1 * Math.sin(2 * Math.PI * 420 * i / 16000.0));
            }
            in.put("input", WitnessTensor.ofFloat32(frame, 1, 512));
            in.put("state", WitnessTensor.ofFloat32(new float[256], 2, 1, 128));
            in.put("sr", new WitnessTensor(dev.opg.core.tensor.DType.INT64, new long[0],
                    java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(16000).array()));
            Npz.write(in, vx);
            Path vt = dir.resolve("vad.transcript.json");
            r = run("prove", "--model", vad.toString(), "--input", vx.toString(), "--out", vt.toString(), "--granularity", "node");
            Cli vv = run("verify", vt.toString(), "--model", vad.toString(), "--input", vx.toString());
            long steps = r.code == 0 ? dev.opg.core.transcript.TranscriptCodec.read(vt).steps().size() : 0;
            check(r.code == 0 && vv.code == 0, "Silero VAD", steps + " ONNX nodes proven; " + firstLine(vv.out), r.code != 0 ? r : vv);
        } else {
            step("8. Silero VAD", "skipped: the npm package @ricky0123/vad-web is not installed; in the repository root run "
                    + "npm ci --no-audit --no-fund --ignore-scripts (./run.sh demo does it for you)");
            summary.add(new String[] {"Silero VAD", "skipped", "npm package @ricky0123/vad-web not installed"});
        }

        if (!noChain) {
            chainSteps(t, cheat, root, mlp, x, dir);
        }

        out.println();
        out.println("summary");
        out.printf("  %-14s  %-6s  %s%n", "step", "result", "detail");
        for (String[] row : summary) {
            out.printf("  %-14s  %-6s  %s%n", row[0], row[1], row[2]);
        }
        out.println(ok ? "demo: every check came out as it must" : "demo: a check FAILED");
        out.flush();
        return ok ? ExitCodes.OK : ExitCodes.ENVIRONMENT;
    }

    private void chainSteps(Path t, Path cheat, String root, Path mlp, Path x, Path dir) throws IOException {
        step("9. chain", rpc == null ? "start a local anvil, deploy TranscriptAnchor, anchor the root" : "deploy TranscriptAnchor at " + rpc + " and anchor the root");
        AnvilNode node = null;
        Path key = keyFile;
        try {
            String url = rpc;
            if (url == null) {
                node = AnvilNode.start();
                url = node.rpcUrl();
                key = Files.createTempFile("opg-demo-key", ".txt");
                Files.writeString(key, AnvilNode.DEV_PRIVATE_KEYS.get(0));
                out.println("     anvil on " + url + " (chain " + node.chainId() + ")");
            }
            List<String> keyArgs = key == null ? List.of() : List.of("--key-file", key.toString());
            Cli d = run(concat(List.of("deploy", "--rpc", url), keyArgs));
            String contract = d.out.strip();
            check(d.code == 0, "deploy", "TranscriptAnchor at " + contract, d);
            if (d.code != 0) {
                return;
            }
            Cli a = run(concat(List.of("anchor", t.toString(), "--rpc", url, "--contract", contract), keyArgs));
            check(a.code == 0, "anchor", firstLine(a.out).replace(root, abbrev(root)) + " " + a.out.lines().skip(1).findFirst().orElse("").strip(), a);
            Cli c = run("check-anchor", t.toString(), "--rpc", url, "--contract", contract);
            check(c.code == 0, "check-anchor", firstLine(c.out).replace(root, abbrev(root)), c);
            // The cheater's transcript is well formed, but its root was never anchored.
            Cli n = run("check-anchor", cheat.toString(), "--rpc", url, "--contract", contract);
            check(n.code == 1, "cheat's root", firstLine(n.out), n);
            registrySteps(url, keyArgs, mlp, x, t, dir);
        } finally {
            if (node != null) {
                node.close();
            }
            if (key != null && keyFile == null) {
                Files.deleteIfExists(key); // the dev key file the demo wrote for its own anvil
            }
        }
    }

    /** The model store, the ModelRegistry, verification by model id and a signed attestation (docs/registry-and-attestations.md). */
    private void registrySteps(String url, List<String> keyArgs, Path mlp, Path x, Path t, Path dir) throws IOException {
        step((sileroModel() != null ? "10" : "9") + ". registry", "store the MLP by content, register it, verify by model id, attest the verdict");
        Path store = dir.resolve("model-store");
        Cli a = run("model", "add", mlp.toString(), "--store", store.toString());
        String id = a.code == 0 ? a.out.strip().split("\\s+")[0] : "";
        check(a.code == 0, "model add", "model " + abbrev(id) + " stored under its file digest", a);
        Cli d = run(concat(List.of("deploy-registry", "--rpc", url), keyArgs));
        String reg = d.out.strip();
        Cli r = d.code != 0 ? d : run(concat(List.of("register", "--model", mlp.toString(), "--name", "demo-mlp", "--version", "1",
                "--uri", mlp.toUri().toString(), "--rpc", url, "--registry", reg), keyArgs));
        check(r.code == 0, "register", "demo-mlp@1 in the ModelRegistry at " + reg, r);
        Cli v = run("verify", t.toString(), "--model-id", id, "--input", x.toString(), "--rpc", url, "--registry", reg, "--store", store.toString());
        check(v.code == 0, "verify by id", abbrevLine(firstLine(v.out)), v);
        Path att = dir.resolve("mlp.transcript.intoto.json");
        Cli at = run(concat(List.of("attest", t.toString(), "--model", mlp.toString(), "--input", x.toString(), "--out", att.toString()), keyArgs));
        java.util.regex.Matcher who = java.util.regex.Pattern.compile("signed by (0x[0-9a-f]{40})").matcher(at.out);
        String signer = who.find() ? who.group(1) : "0x" + "0".repeat(40);
        check(at.code == 0, "attest", "in-toto statement in a DSSE envelope signed by " + signer, at);
        Cli c = run("check-attestation", att.toString(), "--signer", signer, "--rpc", url, "--registry", reg);
        check(c.code == 0, "check attest.", c.out.lines().filter(l -> l.contains("ecrecover")).findFirst().orElse(firstLine(c.out)).strip()
                .replaceAll(".*on chain [0-9]+ ", "the contract "), c);
        Path forged = dir.resolve("mlp.transcript.forged.intoto.json");
        String envelope = Files.readString(att, StandardCharsets.UTF_8);
        int at64 = envelope.indexOf("\"payload\":\"") + 40;
        Files.writeString(forged, envelope.substring(0, at64) + (envelope.charAt(at64) == 'A' ? 'B' : 'A') + envelope.substring(at64 + 1));
        Cli f = run("check-attestation", forged.toString(), "--signer", signer);
        check(f.code == 1, "forged attest.", abbrevLine(firstLine(f.out)), f);
    }

    /** Silero VAD v5 from the repository's npm packages, or null when they are not installed. */
    private static Path sileroModel() {
        String root = System.getProperty("opg.repo.root");
        Path dir = root != null ? Path.of(root) : Path.of("").toAbsolutePath();
        while (dir != null) {
            Path p = dir.resolve("node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx");
            if (Files.isRegularFile(p)) {
                return p;
            }
            dir = dir.getParent();
        }
        return null;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> l = new ArrayList<>(a);
        l.addAll(b);
        return l;
    }

    private void step(String title, String what) {
        out.println();
        out.println("== " + title + ": " + what);
        out.flush();
    }

    private void check(boolean passed, String name, String detail, Cli r) {
        ok &= passed;
        detail = abbrevLine(detail);
        summary.add(new String[] {name, passed ? "ok" : "FAILED", detail});
        out.println("     " + (passed ? "ok: " : "FAILED: ") + detail);
        if (!passed) {
            out.println("     exit " + r.code + "; stderr: " + firstLine(r.err));
        }
        out.flush();
    }

    private record Cli(int code, String out, String err) {}

    private Cli run(List<String> args) {
        return run(args.toArray(String[]::new));
    }

    private Cli run(String... args) {
        out.println("   $ opg " + String.join(" ", args));
        out.flush();
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code = Opg.run(new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8), args);
        return new Cli(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    private static String firstLine(String s) {
        return s.lines().findFirst().orElse("").strip();
    }

    private static String abbrev(String hex) {
        return hex.length() > 16 ? hex.substring(0, 16) + "..." : hex;
    }

    private static String abbrevLine(String s) {
        return s.replaceAll("([0-9a-f]{16})[0-9a-f]{48}(?![0-9a-f])", "$1...");
    }

    /** Changes one hex digit of step {@code index}'s first output digest in a transcript's JSON (a tampering, for demos and tests). */
    public static String tamper(String json, int index) {
        int step = json.indexOf("{\"index\":" + index + ",");
        int at = json.indexOf("\"outputs\":[\"", step) + "\"outputs\":[\"".length();
        char c = json.charAt(at);
        return json.substring(0, at) + (c == '0' ? '1' : '0') + json.substring(at + 1);
    }

    /** A cheater's transcript: another output claimed at step 2 (fed on to step 3), root recomputed. */
    static void writeCheat(Path honest, Path out) throws IOException {
        var t = dev.opg.core.transcript.TranscriptCodec.read(honest);
        var steps = new ArrayList<>(t.steps());
        var fake = dev.opg.core.tensor.TensorDigest.ofFloat32(new float[32], 1, 32);
        var s2 = steps.get(2);
        var s3 = steps.get(3);
        steps.set(2, dev.opg.core.transcript.Step.full(2, s2.name(), s2.inputs(), List.of(fake)));
        steps.set(3, dev.opg.core.transcript.Step.full(3, s3.name(), List.of(fake), s3.outputs()));
        dev.opg.core.transcript.TranscriptCodec.write(new dev.opg.core.transcript.Transcript(t.header(), steps, t.profile()), out);
    }

    /** A seeded float32 input of {@code n} values in [0, 1), shape [1, n]. */
    static WitnessTensor demoInput(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextDouble();
        }
        return WitnessTensor.ofFloat32(v, 1, n);
    }

    /** The demo MLP (784-64-32-10) with weights from a fixed seed, saved as a model directory. */
    static Path saveDemoMlp(Path dir) throws IOException {
        return BlockSpec.of("mlp", new long[] {1, 784},
                BlockSpec.layer("linear", "units", 64), BlockSpec.layer("relu"),
                BlockSpec.layer("linear", "units", 32), BlockSpec.layer("relu"),
                BlockSpec.layer("linear", "units", 10)).saveWithSeededWeights(dir, 2026);
    }
}
