package dev.opg.chain.anvil;

import dev.opg.chain.ChainException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local anvil process on a free loopback port, from the npm package {@code @foundry-rs/anvil}
 * (pinned in the repository's package.json; the binary ships inside its platform package, so
 * nothing is downloaded at run time).
 *
 * <p>{@link #start} returns only once the node answers {@code eth_chainId} (or throws within the
 * start timeout); {@link #close} stops it. With a state file the node writes its whole state there
 * when stopped gracefully ({@link #stop}) and loads it again on {@link #restart}, on the same port,
 * so a client sees a node that went away and came back with its history.
 */
public final class AnvilNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AnvilNode.class);

    /** anvil's default chain id. */
    public static final long DEFAULT_CHAIN_ID = 31337;

    /**
     * Private keys of anvil's first default dev accounts (from the public "test test ... junk"
     * mnemonic), each funded with 10,000 ETH. Well known: for local test chains only.
     */
    public static final List<String> DEV_PRIVATE_KEYS = List.of(
            "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
            "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
            "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
            "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6");

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final Path binary;
    private final int port;
    private final long chainId;
    private final Path stateFile;
    private final Duration blockTime;
    private final Path logFile;
    private Process process;

    private AnvilNode(Path binary, int port, long chainId, Path stateFile, Duration blockTime, Path logFile) {
        this.binary = binary;
        this.port = port;
        this.chainId = chainId;
        this.stateFile = stateFile;
        this.blockTime = blockTime;
        this.logFile = logFile;
    }

    /** Options for {@link #start}. */
    public static final class Builder {
        private Path binary;
        private int port;
        private long chainId = DEFAULT_CHAIN_ID;
        private Path stateFile;
        private Duration blockTime;

        /** The anvil binary; default: {@link #locateBinary()}. */
        public Builder binary(Path p) {
            this.binary = p;
            return this;
        }

        /** A fixed port; default: a free loopback port. */
        public Builder port(int p) {
            this.port = p;
            return this;
        }

        public Builder chainId(long id) {
            this.chainId = id;
            return this;
        }

        /** Load state from (if it exists) and dump state to this file on graceful stop. */
        public Builder stateFile(Path p) {
            this.stateFile = p;
            return this;
        }

        /** Mine a block every {@code t} (default: a block per transaction, at once). */
        public Builder blockTime(Duration t) {
            this.blockTime = t;
            return this;
        }

        public AnvilNode start() {
            Path bin = binary != null ? binary : locateBinary();
            boolean pickPort = port == 0;
            ChainException last = null;
            for (int attempt = 0; attempt < (pickPort ? 3 : 1); attempt++) {
                int p = pickPort ? freePort() : port;
                Path logFile;
                try {
                    logFile = Files.createTempFile("anvil-" + p + "-", ".log");
                } catch (IOException e) {
                    throw new ChainException("cannot create a log file for anvil: " + e.getMessage(), e);
                }
                AnvilNode node = new AnvilNode(bin, p, chainId, stateFile, blockTime, logFile);
                try {
                    node.launch();
                    return node;
                } catch (ChainException e) {
                    node.close();
                    last = e; // most likely the port was taken between probe and bind
                }
            }
            throw last;
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Starts an anvil with default options. */
    public static AnvilNode start() {
        return builder().start();
    }

    /**
     * Finds the anvil binary: system property {@code opg.anvil.binary}, environment variable
     * {@code OPG_ANVIL}, else {@code node_modules/@foundry-rs/anvil-<platform>/bin/anvil} under the
     * repository root (system property {@code opg.repo.root}, else the working directory and its
     * parents).
     *
     * @throws ChainException naming the places looked at and how to install it
     */
    public static Path locateBinary() {
        String explicit = System.getProperty("opg.anvil.binary", System.getenv("OPG_ANVIL"));
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit);
            if (Files.isExecutable(p)) {
                return p;
            }
            throw new ChainException("anvil binary " + p + " (from opg.anvil.binary / OPG_ANVIL) is missing or not executable");
        }
        String rel = "node_modules/@foundry-rs/anvil-" + platform() + "/bin/anvil"
                + (System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("windows") ? ".exe" : "");
        List<Path> tried = new ArrayList<>();
        String root = System.getProperty("opg.repo.root");
        if (root != null && !root.isBlank()) {
            tried.add(Path.of(root).resolve(rel));
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            tried.add(d.resolve(rel));
        }
        for (Path p : tried) {
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        throw new ChainException("anvil binary not found; looked at " + tried.subList(0, Math.min(3, tried.size()))
                + (tried.size() > 3 ? " and " + (tried.size() - 3) + " parent folders" : "") + ". Run `npm ci` in the repository root (package.json pins @foundry-rs/anvil) or set -Dopg.anvil.binary");
    }

    static String platform() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        String o = os.startsWith("mac") || os.startsWith("darwin") ? "darwin" : os.startsWith("windows") ? "win32" : "linux";
        String a = arch.equals("aarch64") || arch.equals("arm64") ? "arm64" : "amd64";
        return o + "-" + a;
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new ChainException("no free loopback port for anvil: " + e.getMessage(), e);
        }
    }

    private synchronized void launch() {
        List<String> cmd = new ArrayList<>(List.of(binary.toString(), "--host", "127.0.0.1", "--port",
                Integer.toString(port), "--chain-id", Long.toString(chainId)));
        if (stateFile != null) {
            if (Files.exists(stateFile)) {
                cmd.addAll(List.of("--load-state", stateFile.toString()));
            }
            cmd.addAll(List.of("--dump-state", stateFile.toString()));
        }
        if (blockTime != null) {
            cmd.addAll(List.of("--block-time", Long.toString(Math.max(1, blockTime.toSeconds()))));
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new ChainException("cannot start anvil " + binary + ": " + e.getMessage(), e);
        }
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new ChainException("anvil exited with status " + process.exitValue() + " before answering on port "
                        + port + "; its output: " + tail());
            }
            if (answersChainId(http)) {
                log.info("anvil up on {} (chain {}, pid {})", rpcUrl(), chainId, process.pid());
                return;
            }
            sleep(50);
        }
        throw new ChainException("anvil did not answer eth_chainId on " + rpcUrl() + " within " + START_TIMEOUT
                + "; its output: " + tail());
    }

    private boolean answersChainId(HttpClient http) {
        HttpRequest req = HttpRequest.newBuilder(URI.create(rpcUrl())).timeout(Duration.ofSeconds(2))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\",\"params\":[]}"))
                .build();
        try {
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && r.body().contains("\"result\"");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ChainException("interrupted while waiting for anvil to start", e);
        }
    }

    /** {@code http://127.0.0.1:<port>}. */
    public String rpcUrl() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public long chainId() {
        return chainId;
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Stops the node gracefully (SIGTERM; with a state file anvil dumps its state first). */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                log.warn("anvil on port {} ignored SIGTERM for 15 s; killing it", port);
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** Kills the node at once (SIGKILL): no state is dumped; whatever it held in memory is lost. */
    public synchronized void kill() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** Starts the node again on the same port, loading the state file if there is one. */
    public synchronized void restart() {
        stop();
        launch();
    }

    /** Starts a stopped node again (same port and options). */
    public synchronized void startAgain() {
        if (isRunning()) {
            throw new IllegalStateException("anvil on port " + port + " is already running");
        }
        launch();
    }

    private String tail() {
        try {
            String s = Files.readString(logFile, StandardCharsets.UTF_8);
            return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ChainException("interrupted", e);
        }
    }

    @Override
    public void close() {
        stop();
        try {
            Files.deleteIfExists(logFile);
        } catch (IOException e) {
            log.debug("could not delete {}: {}", logFile, e.toString());
        }
    }
}
