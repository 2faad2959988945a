package dev.opg.chain.anvil;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.chain.ChainException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class AnvilNodeTest {

    @Test
    void startsOnLoopbackAndStopsOnClose() {
        int port;
        try (AnvilNode a = AnvilNode.start(); AnvilNode b = AnvilNode.builder().chainId(4242).start()) {
            assertTrue(a.rpcUrl().startsWith("http://127.0.0.1:"));
            assertNotEquals(a.port(), b.port(), "each node gets its own free port");
            assertEquals(4242, b.chainId());
            assertTrue(a.isRunning());
            port = a.port();
            assertTrue(listening(port));
        }
        assertFalse(listening(port), "close() must stop anvil");
    }

    @Test
    void missingBinaryIsAClearError() {
        String old = System.getProperty("opg.anvil.binary");
        System.setProperty("opg.anvil.binary", "/nonexistent/anvil");
        try {
            ChainException e = assertThrows(ChainException.class, AnvilNode::start);
            assertTrue(e.getMessage().contains("/nonexistent/anvil"), e.getMessage());
        } finally {
            if (old == null) {
                System.clearProperty("opg.anvil.binary");
            } else {
                System.setProperty("opg.anvil.binary", old);
            }
        }
    }

    @Test
    void findsThePinnedNpmBinary() {
        assertTrue(AnvilNode.locateBinary().toString().contains("node_modules/@foundry-rs/anvil-"));
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
