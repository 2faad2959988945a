package dev.opg.cli;

import dev.opg.chain.ChainConfig;
import dev.opg.chain.ChainException;
import dev.opg.chain.TransactionSender;
import dev.opg.chain.TranscriptAnchorClient;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.ECKeyPair;

/** Connecting to a chain from command-line options: the RPC URL, the contract and the key. */
final class Chain {
    /** Environment variable holding the sender's private key (hex) when no key file is given. */
    static final String KEY_ENV = "OPG_PRIVATE_KEY";
    private static final Pattern KEY = Pattern.compile("(0x)?[0-9a-fA-F]{64}");
    private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-fA-F]{40}");

    private Chain() {}

    static ChainConfig config(String rpc) {
        try {
            return ChainConfig.of(rpc).withRpcTimeout(Duration.ofSeconds(10)).withReceiptTimeout(Duration.ofSeconds(60));
        } catch (IllegalArgumentException e) {
            throw CliException.usage("--rpc: " + e.getMessage());
        }
    }

    static String address(String contract) {
        return address(contract, "--contract");
    }

    /** {@code value} as a lower-case address, or a usage error naming {@code option}. */
    static String address(String value, String option) {
        if (value == null || !ADDRESS.matcher(value).matches()) {
            throw CliException.usage(option + " must be a 0x-prefixed 20-byte hex address; got " + value);
        }
        return value.toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * The signing key: from {@code keyFile} if given, else from {@value #KEY_ENV} in {@code env}.
     * The key itself never appears in a message.
     */
    static Credentials credentials(Path keyFile, Map<String, String> env) {
        String key;
        String source;
        if (keyFile != null) {
            try {
                key = Files.readString(keyFile, StandardCharsets.US_ASCII).strip();
            } catch (java.nio.file.NoSuchFileException e) {
                throw CliException.usage("--key-file " + keyFile + ": no such file");
            } catch (IOException e) {
                throw CliException.usage("cannot read --key-file " + keyFile + ": " + e.getMessage());
            }
            source = "--key-file " + keyFile;
        } else {
            key = env.get(KEY_ENV);
            source = "environment variable " + KEY_ENV;
            if (key == null || key.isBlank()) {
                throw CliException.usage("a signing key is needed: pass --key-file FILE or set " + KEY_ENV);
            }
            key = key.strip();
        }
        if (!KEY.matcher(key).matches()) {
            throw CliException.usage(source + " does not hold a private key (64 hex digits, optionally 0x-prefixed)");
        }
        return Credentials.create(key);
    }

    /** Credentials for read-only calls: never used to sign. */
    static Credentials readOnly() {
        return Credentials.create(ECKeyPair.create(BigInteger.ONE));
    }

    static TransactionSender connect(String rpc, Credentials credentials) {
        ChainConfig cfg = config(rpc);
        try {
            return TransactionSender.connect(cfg, credentials);
        } catch (ChainException e) {
            throw CliException.environment("cannot reach the chain at " + rpc + ": " + e.getMessage(), e);
        }
    }

    static TranscriptAnchorClient at(TransactionSender sender, String contract) {
        return TranscriptAnchorClient.at(sender, address(contract));
    }
}
