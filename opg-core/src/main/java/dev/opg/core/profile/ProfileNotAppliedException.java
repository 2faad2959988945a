package dev.opg.core.profile;

import dev.opg.core.OpgException;

/**
 * This process cannot run under the requested determinism profile: an environment variable read
 * at native load time is not what the profile says, or the engine was loaded earlier with other
 * settings. The message says what differs and how to start a process that can apply it (usually a
 * fresh JVM with the named environment). A transcript is never recorded in that case.
 */
public class ProfileNotAppliedException extends OpgException {
    private static final long serialVersionUID = 1L;

    public ProfileNotAppliedException(String message) {
        super(message);
    }
}
