package io.pgdock.config;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What the contract's testers need from the store under test, and the test types they share. Each tester (such as
 * {@link ReadsContract}) gets its stores from a fixture: {@link #newStore(ConfigOptions)} makes a new, empty store,
 * {@link #clock()} is the clock tests give stores that need time to pass, and {@link #elapse(Duration)} lets it pass.
 * {@link ConfigStoreContract} is the fixture of all of them; extend that, not this class (its constructor is
 * package-private). The rules for what {@code newStore} must return are in {@link ConfigStoreContract}'s Javadoc.
 *
 * <p>Instances are made by JUnit, one per test; not thread-safe.
 */
public abstract class ConfigStoreFixture {
    private final TestClock clock = new TestClock(Instant.now());

    ConfigStoreFixture() {
        // extended by ConfigStoreContract only
    }

    /**
     * A new, empty store with {@code options}, sharing nothing with the stores returned before.
     *
     * @param options the options the store must honour
     * @return the store
     */
    protected abstract ConfigStore newStore(ConfigOptions options);

    /**
     * A new, empty store with {@link ConfigOptions#defaults()}.
     *
     * @return the store
     */
    protected ConfigStore newStore() {
        return newStore(ConfigOptions.defaults());
    }

    /**
     * The clock that tests which need time to pass give their stores ({@link ConfigOptions.Builder#clock}). It starts
     * at the real current time and moves only in {@link #elapse(Duration)}.
     *
     * @return this test's clock
     */
    protected final Clock clock() {
        return clock;
    }

    /**
     * Lets {@code duration} pass for the stores this test made, without waiting: a later write sees their history as
     * that much older. This moves {@link #clock()}; a store that does not take its time from the clock overrides this
     * to also move the times it has recorded back by {@code duration}.
     *
     * @param duration how much time passes, positive
     */
    protected void elapse(Duration duration) {
        clock.advance(duration);
    }

    /** For typed reads. */
    record Limits(int max, String mode) {
    }

    /** For typed reads of values with secret fields. */
    record Db(String url, String password) {
    }

    /** The same, keeping the password wrapped. */
    record SealedDb(String url, Secret password) {
    }

    /** A key provider whose keys a test changes while the store runs, as a user's key service would. */
    protected static final class TestKeys implements KeyProvider {
        final Map<String, javax.crypto.SecretKey> keys = new java.util.concurrent.ConcurrentHashMap<>();
        volatile String current;

        TestKeys(String... ids) {
            for (String id : ids) {
                add(id);
            }
            current = ids[0];
        }

        TestKeys add(String id) {
            byte[] bytes = new byte[32];
            new java.security.SecureRandom().nextBytes(bytes);
            keys.put(id, new javax.crypto.spec.SecretKeySpec(bytes, "AES"));
            return this;
        }

        @Override
        public String currentKeyId() {
            return current;
        }

        @Override
        public Optional<javax.crypto.SecretKey> key(String keyId) {
            return Optional.ofNullable(keys.get(keyId));
        }
    }

    /** Records what a watch delivers; tests wait on it with a deadline, never sleep. */
    protected static final class Recorder implements ConfigListener {
        private final List<ConfigEvent> events = new ArrayList<>();
        private int gaps;
        private int caughtUp;

        @Override
        public synchronized void onChange(ConfigEvent event) {
            events.add(event);
            notifyAll();
        }

        @Override
        public synchronized void onGap(Exception cause) {
            gaps++;
            notifyAll();
        }

        @Override
        public synchronized void onCaughtUp() {
            caughtUp++;
            notifyAll();
        }

        public synchronized List<ConfigEvent> events() {
            return new ArrayList<>(events);
        }

        public synchronized int gaps() {
            return gaps;
        }

        public synchronized int caughtUp() {
            return caughtUp;
        }

        /** Waits up to a minute until {@code done} holds for this recorder, or fails naming {@code what}. */
        public synchronized void await(String what, java.util.function.Predicate<Recorder> done) {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            while (!done.test(this)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("timed out waiting for " + what + "; received " + events
                            + ", gaps " + gaps + ", caught up " + caughtUp);
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted waiting for " + what, e);
                }
            }
        }

        /** Waits until a change of {@code key} at {@code version} (deleted or not) has arrived. */
        public void awaitChange(String key, long version, boolean deleted) {
            await(key + " v" + version + (deleted ? " deleted" : ""), r -> r.events.stream()
                    .anyMatch(e -> e.key().equals(key) && e.version() == version && e.deleted() == deleted));
        }
    }

    /** A clock that stands still until a test moves it. */
    static final class TestClock extends Clock {
        private final AtomicReference<Instant> now;

        TestClock(Instant start) {
            this.now = new AtomicReference<>(start);
        }

        void advance(Duration by) {
            now.updateAndGet(t -> t.plus(by));
        }

        @Override
        public Instant instant() {
            return now.get();
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException("a TestClock is always UTC");
        }
    }
}
