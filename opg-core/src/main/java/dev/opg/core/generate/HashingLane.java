package dev.opg.core.generate;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where one generation hashes its tokens, one job at a time, in order: on the caller's thread as
 * each job is submitted (inline), or on one thread of its own, so that token t is hashed while the
 * caller runs token t+1's forward pass. The lane holds at most one job: the caller submits a job
 * only after {@link #next} handed the previous one back, so jobs never overlap and state they
 * share (the tree, the cache digests) needs no lock; the return of {@link #next} is the
 * happens-before edge for everything the job wrote.
 *
 * <p>{@link #next} throws the job's own exception (the same instance where it is unchecked; a
 * checked one wrapped in {@link GenerationException}) on the caller's thread. {@link #close}
 * withdraws a job that has not started, and waits until the lane's thread has ended, so that the
 * caller may free what the jobs read (ONNX Runtime memory) once it returns; a job it finds failed
 * and not handed back (the caller failed first) has its exception thrown by {@code close}, which
 * try-with-resources adds to the caller's as suppressed. Not thread-safe: one caller.
 *
 * <p>The lane's thread is never woken by {@link #submit}: waking a thread cost the caller, about to
 * run the next forward pass, 9 to 60 us a token on this 2-core VM (the wake-up's inter-processor
 * interrupt, or the woken thread run on the caller's own core first). After a job it spins
 * ({@link Thread#onSpinWait}) for {@link #SPIN_NANOS}, longer than a forward pass, so that during
 * a generation it takes each job at once (within 1 us in nine cases of ten) on a core whose caches
 * are warm (a job took 34 us against 44-48 us after sleeping); then it looks every
 * {@link #POLL_NANOS}. Sleeping between tokens instead (a 20 us poll sleeps about 55 us here) left
 * a fifth of the jobs not taken or not finished when the caller needed them. ONNX Runtime's own
 * intra-op threads spin the same way by default. So while a generation runs, the lane's thread
 * keeps its core busy; {@code Generator} only uses a lane thread where the engine's threads leave
 * a core free, and stops it when the caller turns out to share its core. Where the lane's thread
 * has not taken the job when the caller needs it, {@link #next} runs the job on the caller's
 * thread, as inline hashing would, instead of waiting for a core. Between {@link #rest} and
 * {@link #wake} the thread sleeps whenever it has no job (a probe's inline runs are timed without
 * it spinning beside them).
 */
final class HashingLane<T> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HashingLane.class);
    private static final AtomicInteger LANES = new AtomicInteger();
    /** The name every lane thread starts with (tests look for threads left behind). */
    static final String THREAD_PREFIX = "opg-generate-hash-";
    /** How long the lane's thread spins after a job before it sleeps between looks: longer than a forward pass. */
    static final long SPIN_NANOS = 400_000;
    /** How long the lane's thread sleeps between looks for work once it has waited {@link #SPIN_NANOS}. */
    static final long POLL_NANOS = 20_000;

    /** The lane's thread: started by the constructor or by {@link #goThreaded}; null while the lane has been inline only. */
    private Thread thread;
    /** Whether jobs go to {@link #thread}; false while inline (from the start, or after {@link #goInline}). */
    private boolean threaded;
    /** The job waiting for the lane's thread; taken (set to null) by whoever runs it. */
    private final AtomicReference<FutureTask<T>> offered = new AtomicReference<>();
    /** The job submitted and not yet handed back, or null. */
    private FutureTask<T> pending;
    private volatile boolean closed;
    /** Whether the lane's thread, when it has no job, sleeps until {@link #wake} instead of spinning ({@link #rest}). */
    private volatile boolean resting;

    /** @param threaded whether jobs run on a thread of the lane's own (else on the caller's, as submitted) */
    HashingLane(boolean threaded) {
        if (threaded) {
            startThread();
        }
        this.threaded = threaded;
    }

    private void startThread() {
        thread = new Thread(this::work, THREAD_PREFIX + LANES.incrementAndGet());
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * From now on runs every job on the lane's own thread, started here if the lane was inline
     * from the start. A lane whose thread has been stopped ({@link #goInline}, {@link #close})
     * stays inline.
     *
     * @return whether jobs now go to the lane's thread
     * @throws IllegalStateException if a job is pending
     */
    boolean goThreaded() {
        if (pending != null) {
            throw new IllegalStateException("a job is pending; hand it back first");
        }
        if (!threaded && thread == null && !closed) {
            startThread();
            threaded = true;
        }
        return threaded;
    }

    private void work() {
        long idleSince = System.nanoTime();
        while (!closed) {
            FutureTask<T> f = offered.getAndSet(null);
            if (f != null) {
                f.run();
                idleSince = System.nanoTime();
            } else if (resting) {
                Thread.interrupted(); // as below: this thread ends only by close()
                LockSupport.park(this); // until wake() or close()
                idleSince = System.nanoTime();
            } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                Thread.onSpinWait();
            } else {
                Thread.interrupted(); // an interrupt would turn parkNanos into a spin; this thread ends only by close()
                LockSupport.parkNanos(this, POLL_NANOS);
            }
        }
    }

    boolean threaded() {
        return threaded;
    }

    /**
     * Lets the lane's thread, once it has no job, sleep until {@link #wake} instead of spinning:
     * for a run of tokens hashed on the caller's thread (a probe's inline run), which would
     * otherwise be timed beside a thread spinning on the other core, and so measure what a
     * spinning thread costs the caller as much as what hashing inline costs. A job offered
     * meanwhile is still taken.
     */
    void rest() {
        resting = true;
    }

    /** Ends {@link #rest}: the lane's thread wakes now and spins between jobs again. */
    void wake() {
        resting = false;
        if (thread != null) {
            LockSupport.unpark(thread);
        }
    }

    /**
     * From now on runs every job on the caller's thread, as submitted, and stops the lane's thread
     * (for a caller whose core the lane's thread competes for).
     *
     * @throws IllegalStateException if a job is pending
     */
    void goInline() {
        if (pending != null) {
            throw new IllegalStateException("a job is pending; hand it back first");
        }
        if (threaded) {
            threaded = false;
            stopThread();
        }
    }

    /** Whether a job was submitted and not yet handed back. */
    boolean pending() {
        return pending != null;
    }

    /**
     * Runs {@code job} (inline: now, and an exception it throws is thrown here).
     *
     * @throws IllegalStateException if the previous job was not handed back, or the lane is closed
     */
    void submit(Callable<T> job) {
        submit(job, false);
    }

    /**
     * Runs {@code job} on the caller's thread now where {@code here} or the lane is inline (an
     * exception it throws is thrown here), else offers it to the lane's thread; the lane stays
     * threaded either way (a probe alternates the two on the same lane).
     *
     * @return whether the job ran here
     * @throws IllegalStateException if the previous job was not handed back, or the lane is closed
     */
    boolean submit(Callable<T> job, boolean here) {
        if (pending != null) {
            throw new IllegalStateException("the previous job has not been handed back");
        }
        if (threaded && closed) {
            throw new IllegalStateException("the hashing lane is closed");
        }
        FutureTask<T> f = new FutureTask<>(job);
        pending = f;
        if (!threaded || here) {
            f.run();
            if (f.state() == java.util.concurrent.Future.State.FAILED) {
                next(); // throws the job's exception
            }
            return true;
        }
        offered.set(f);
        return false;
    }

    /**
     * The result of the job submitted last, waiting for it if the lane's thread is running it, or
     * running it here if that thread has not taken it yet.
     *
     * @throws IllegalStateException if no job is pending
     * @throws RuntimeException the job's own exception, or {@link GenerationException} if the wait was interrupted
     */
    T next() {
        FutureTask<T> f = pending;
        if (f == null) {
            throw new IllegalStateException("no job is pending");
        }
        pending = null;
        if (offered.compareAndSet(f, null)) {
            f.run(); // not taken yet: hashing it here costs what inline hashing costs, waiting for a core may cost more
        }
        try {
            return f.get();
        } catch (ExecutionException e) {
            throw rethrown(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GenerationException("interrupted while waiting for a token's hashes", e);
        }
    }

    /**
     * Withdraws a job that has not started and waits until the lane's thread has ended; a running
     * job is neither interrupted nor abandoned half way (it reads memory the caller frees next). An
     * interrupt of the caller during the wait is kept for the caller.
     */
    @Override
    public void close() {
        FutureTask<T> left = pending;
        pending = null;
        offered.set(null);
        stopThread();
        closed = true; // an inline lane too: no thread starts after close
        // a job not handed back, which failed while the caller failed: its exception is thrown here, so that
        // try-with-resources adds it to the caller's as suppressed instead of losing it
        if (left != null && left.state() == java.util.concurrent.Future.State.FAILED) {
            throw rethrown(left.exceptionNow());
        }
    }

    /** A job's exception as the caller gets it: the same instance where unchecked, else wrapped in {@link GenerationException}. */
    private static RuntimeException rethrown(Throwable c) {
        if (c instanceof RuntimeException r) {
            return r;
        }
        if (c instanceof Error e) {
            throw e;
        }
        return new GenerationException("hashing a token failed: " + c, c);
    }

    private void stopThread() {
        if (thread == null || closed) {
            return;
        }
        closed = true;
        LockSupport.unpark(thread);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    thread.join(TimeUnit.SECONDS.toMillis(10));
                    if (!thread.isAlive()) {
                        break;
                    }
                    LOG.warn("a generation's hashing thread is still running after 10 s; waiting for it before freeing its tensors");
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
