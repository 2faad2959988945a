package dev.opg.core.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.opg.core.profile.DeterminismProfile;
import java.util.ArrayList;
import java.util.List;

/**
 * Opens every ONNX Runtime session of one runner, with exactly the profile's settings
 * ({@link OnnxProfiles#sessionOptions}), and closes them all when the runner closes. Whoever keeps
 * a session (a plan, a step) keeps it in its own cache; this class only owns their lifetime.
 */
final class Sessions implements AutoCloseable {
    private final DeterminismProfile profile;
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final List<OrtSession> open = new ArrayList<>();
    private volatile boolean closed;

    Sessions(DeterminismProfile profile) {
        this.profile = profile;
    }

    OrtEnvironment env() {
        return env;
    }

    /** A new session over the serialized ModelProto {@code model}, closed with this cache. */
    OrtSession open(byte[] model) throws OrtException {
        try (OrtSession.SessionOptions o = OnnxProfiles.sessionOptions(profile)) {
            OrtSession s = env.createSession(model, o);
            synchronized (open) {
                if (closed) {
                    s.close();
                    throw new IllegalStateException("the ONNX runner is closed");
                }
                open.add(s);
            }
            return s;
        }
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the ONNX runner is closed");
        }
    }

    /** Closes every session this cache opened; later {@link #open} calls fail. */
    @Override
    public void close() {
        synchronized (open) {
            closed = true;
            for (OrtSession s : open) {
                try {
                    s.close();
                } catch (OrtException e) {
                    // nothing more to release
                }
            }
            open.clear();
        }
    }
}
