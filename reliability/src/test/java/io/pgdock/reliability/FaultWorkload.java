package io.pgdock.reliability;

import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.DataAccessException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Threads that each repeat one kind of call against the library until stopped, counting successes and failures per
 * phase of a test (before, during and after a fault), remembering the longest call, and sorting each failure into
 * "typed" (what the API documents) or "untyped" (anything else, a library bug).
 *
 * <p>Thread-safe: counters are atomic, and {@link #stop()} joins the threads.
 */
final class FaultWorkload {
    /** One call; returns normally on success. */
    @FunctionalInterface
    interface Call {
        void run(long n) throws Exception;
    }

    private final AtomicInteger phase = new AtomicInteger();
    private final List<Worker> workers = new ArrayList<>();
    private volatile boolean running = true;

    /**
     * Adds a worker (not yet started).
     *
     * @param name what it does, for reports
     * @param typed which failures the API documents for this call
     * @param call the call
     */
    void add(String name, Predicate<Throwable> typed, Call call) {
        workers.add(new Worker(name, typed, call));
    }

    void start() {
        workers.forEach(Thread::start);
    }

    /** Moves to the next phase; counts from now on go to it. */
    void phase(int p) {
        phase.set(p);
    }

    List<Worker> workers() {
        return workers;
    }

    /** Whether every worker has at least {@code n} successes in phase {@code p}. */
    boolean allSucceeded(int p, int n) {
        return workers.stream().allMatch(w -> w.successes(p) >= n);
    }

    /** Whether every worker has at least {@code n} failures in phase {@code p}. */
    boolean allFailed(int p, int n) {
        return workers.stream().allMatch(w -> w.failures(p) >= n);
    }

    /** Stops the workers and waits for them (each call is bounded by the library's timeouts). */
    void stop() throws InterruptedException {
        running = false;
        for (Worker w : workers) {
            w.join(TimeUnit.SECONDS.toMillis(60));
            if (w.isAlive()) {
                throw new AssertionError(w.getName() + " did not stop within 60 s: a call hangs");
            }
        }
    }

    /** Every untyped failure of every worker, as {@code worker: exception}. */
    List<String> untyped() {
        List<String> all = new ArrayList<>();
        workers.forEach(w -> w.untyped.forEach(t -> all.add(w.getName() + ": " + t)));
        return all;
    }

    /** A line per worker: successes and failures per phase, failure kinds, longest call. */
    String report() {
        StringBuilder b = new StringBuilder();
        for (Worker w : workers) {
            b.append(String.format("  %-16s ok %s  failed %s  longest call %d ms  failures %s%n", w.getName(),
                    w.successes, w.failures, TimeUnit.NANOSECONDS.toMillis(w.longestNanos.get()), w.kinds.keySet()));
        }
        return b.toString();
    }

    /** How a failure shows in reports: class, reason or SQLSTATE. */
    static String kind(Throwable t) {
        if (t instanceof ConnectionFailedException e) {
            return "ConnectionFailedException(" + e.reason() + ")";
        }
        if (t instanceof DataAccessException e) {
            return "DataAccessException(" + e.sqlState() + ")";
        }
        if (t instanceof SQLException e) {
            return t.getClass().getSimpleName() + "(" + e.getSQLState() + ")";
        }
        return t.getClass().getName();
    }

    /** A worker thread. */
    final class Worker extends Thread {
        private final Predicate<Throwable> typed;
        private final Call call;
        private final Map<Integer, AtomicLong> successes = new ConcurrentHashMap<>();
        private final Map<Integer, AtomicLong> failures = new ConcurrentHashMap<>();
        private final Map<String, Boolean> kinds = new ConcurrentHashMap<>();
        private final List<String> untyped = new CopyOnWriteArrayList<>();
        private final AtomicLong longestNanos = new AtomicLong();

        Worker(String name, Predicate<Throwable> typed, Call call) {
            super(name);
            this.typed = typed;
            this.call = call;
            setDaemon(true);
        }

        long successes(int p) {
            AtomicLong n = successes.get(p);
            return n == null ? 0 : n.get();
        }

        long failures(int p) {
            AtomicLong n = failures.get(p);
            return n == null ? 0 : n.get();
        }

        long longestMillis() {
            return TimeUnit.NANOSECONDS.toMillis(longestNanos.get());
        }

        @Override
        public void run() {
            for (long n = 0; running; n++) {
                int p = phase.get();
                long start = System.nanoTime();
                try {
                    call.run(n);
                    successes.computeIfAbsent(p, k -> new AtomicLong()).incrementAndGet();
                } catch (Exception | AssertionError t) {
                    failures.computeIfAbsent(p, k -> new AtomicLong()).incrementAndGet();
                    kinds.put(kind(t), true);
                    if (t instanceof AssertionError || !typed.test(t)) {
                        untyped.add(t.toString());
                    }
                    pause(); // a failed call must not spin; this paces retries, it synchronises nothing
                } finally {
                    longestNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
                }
            }
        }

        private void pause() {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
