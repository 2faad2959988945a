package dev.opg.core.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.tensor.DType;
import dev.opg.core.tensor.TensorDigest;
import dev.opg.core.witness.WitnessTensor;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hashes the tensors of a model's predictions. A tensor of at most {@link #INLINE_BYTES} is
 * hashed on the calling thread, at once: its digest (a few microseconds) costs less than handing
 * it to another thread and waiting for the answer. A larger one goes to a small pool, where it is
 * hashed while the engine computes the next step; a tensor's digest is one SHA-256 stream, so one
 * tensor takes one pool thread, but tensors of different steps are hashed in parallel. The pool
 * has one thread per core the engine's intra-op threads leave free, at least one.
 *
 * <p>Where the runner exposes an array's engine memory ({@link ModelRunner#dataInPlace}) the
 * digest reads it in place; otherwise {@link TensorDigest#of(NDArray)} does (in place for PyTorch
 * on CPU; a small dense PyTorch array through {@link TorchArrays}, the same bytes without DJL's
 * per-call objects). The caller keeps every array alive until its digest is done.
 */
final class Hasher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Hasher.class);
    /** Tensors of at most this many data bytes are hashed on the calling thread. */
    static final long INLINE_BYTES = 64 * 1024;
    private static final AtomicInteger POOLS = new AtomicInteger();

    private final ModelRunner runner;
    private final ExecutorService pool;
    private final int threads;

    /** @param pin applies the engine's per-thread settings to a pool thread before it reads an array */
    Hasher(ModelRunner runner, DeterminismProfile profile, Runnable pin) {
        this.runner = runner;
        this.threads = Math.max(1, Runtime.getRuntime().availableProcessors() - profile.intraOpThreads());
        String prefix = "opg-hash-" + POOLS.incrementAndGet() + "-";
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor p = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            // reading an array may run an engine op (a non-contiguous array is made contiguous): pin this thread too
            Thread t = new Thread(() -> {
                pin.run();
                r.run();
            }, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        p.allowCoreThreadTimeOut(true);
        this.pool = p;
    }

    /** Pool threads for large tensors. */
    int threads() {
        return threads;
    }

    /**
     * The digest of {@code array}: a {@link Digest}, computed here, for a small array; a
     * {@code Future<Digest>} pending on the pool for a larger one. With a witness map, the array is
     * also copied into it under its digest. Bad input (a sparse array, a dtype without a code)
     * fails here for a small array and from the future for a large one.
     */
    Object digest(NDArray array, Map<Digest, WitnessTensor> witness) {
        if (witness == null && array instanceof PtNDArray pt && TorchArrays.available() && runner.dataInPlace(array) == null) {
            Digest d = TorchArrays.digest(pt, INLINE_BYTES); // a small dense CPU tensor, without DJL's per-call objects
            if (d != null) {
                return d;
            }
        }
        Shape shape = array.getShape(); // asked of the engine once: each call is a native call
        if (shape.size() * array.getDataType().getNumOfBytes() <= INLINE_BYTES) {
            return hash(array, shape, witness);
        }
        return pool.submit(() -> hash(array, shape, witness));
    }

    /**
     * The digest {@link TensorDigest#of(NDArray)} gives, read from the runner's view of the
     * engine's memory where it has one ({@link ModelRunner#dataInPlace}), else from the engine's
     * direct buffer ({@code toByteBuffer(true)}, in place for PyTorch on CPU); the shape the caller
     * already asked for is not asked again.
     */
    private Digest hash(NDArray array, Shape shape, Map<Digest, WitnessTensor> witness) {
        if (witness != null) {
            WitnessTensor t = WitnessTensor.of(array);
            Digest d = t.digest();
            witness.put(d, t);
            return d;
        }
        if (array.isSparse()) {
            throw new MalformedInputException("sparse arrays have no canonical encoding; convert with toDense() first");
        }
        ByteBuffer data = runner.dataInPlace(array);
        return TensorDigest.of(DType.fromDjl(array.getDataType()), shape.getShape(), data != null ? data : array.toByteBuffer(true));
    }

    /** Stops the pool, waiting for hashes still running. */
    @Override
    public void close() {
        pool.shutdown();
        try {
            if (!pool.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("opg hashing threads did not stop within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
