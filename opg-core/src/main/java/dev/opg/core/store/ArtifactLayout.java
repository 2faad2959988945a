package dev.opg.core.store;

/** Whether an artifact is one file or a directory tree; it chooses how the artifact digest is computed. */
public enum ArtifactLayout {
    /** One regular file: digest = SHA-256 of its bytes (in-toto {@code sha256}). */
    FILE("file", "sha256"),
    /** A directory of regular files: digest = in-toto {@code dirHash} (Go's dirhash Hash1, hex). */
    DIRECTORY("directory", "dirHash");

    private final String specName;
    private final String inTotoAlgorithm;

    ArtifactLayout(String specName, String inTotoAlgorithm) {
        this.specName = specName;
        this.inTotoAlgorithm = inTotoAlgorithm;
    }

    /** The name in the store's entry files: {@code file} or {@code directory}. */
    public String specName() {
        return specName;
    }

    /** The in-toto DigestSet algorithm name of this layout's digest. */
    public String inTotoAlgorithm() {
        return inTotoAlgorithm;
    }

    /** @throws dev.opg.core.MalformedInputException for another name */
    public static ArtifactLayout fromSpecName(String name) {
        for (ArtifactLayout l : values()) {
            if (l.specName.equals(name)) {
                return l;
            }
        }
        throw new dev.opg.core.MalformedInputException("unknown artifact layout '" + name + "'; expected file or directory");
    }
}
