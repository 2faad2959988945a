package dev.opg.benchmarks;

import dev.opg.core.Digest;
import dev.opg.core.tensor.DType;
import dev.opg.core.tensor.TensorDigest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Tensor digest throughput against its limits, over the same bytes: raw JDK SHA-256 (the ceiling:
 * the digest is SHA-256 plus a header) and a plain memory copy (the floor of touching the bytes).
 * {@code digestDirectBuffer} is the path a PyTorch CPU tensor takes (the engine's native buffer,
 * hashed in place); {@code digestFloatArray} is the path of a Java {@code float[]}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class HashingBenchmark {
    @Param({"4096", "1048576", "67108864"})
    public int bytes;

    private byte[] data;
    private byte[] copyTarget;
    private float[] floats;
    private ByteBuffer direct;
    private long[] shape;
    private MessageDigest sha256;

    @Setup
    public void setUp() throws Exception {
        data = new byte[bytes];
        new java.util.Random(1).nextBytes(data);
        copyTarget = new byte[bytes];
        floats = new float[bytes / 4];
        ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(floats);
        direct = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
        direct.put(data).flip();
        shape = new long[] {bytes / 4};
        sha256 = MessageDigest.getInstance("SHA-256");
    }

    @Benchmark
    public byte[] rawSha256() {
        sha256.reset();
        return sha256.digest(data);
    }

    @Benchmark
    public byte[] memoryCopy() {
        System.arraycopy(data, 0, copyTarget, 0, bytes);
        return copyTarget;
    }

    @Benchmark
    public Digest digestDirectBuffer() {
        return TensorDigest.of(DType.FLOAT32, shape, direct);
    }

    @Benchmark
    public Digest digestFloatArray() {
        return TensorDigest.ofFloat32(floats, shape);
    }
}
