package io.pgdock.reliability;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.quicktheories.QuickTheory;
import org.quicktheories.api.AsString;
import org.quicktheories.core.Gen;
import org.quicktheories.core.Reporter;

/**
 * Runs a property of the {@code Hostile*} tests with <a href="https://github.com/quicktheories/QuickTheories">
 * QuickTheories</a> from a plain JUnit test: a given number of tries over a generator, shrinking on failure, and a
 * failure message that shows the seed, how to replay it and the shrunk value in escaped form (the generator's
 * {@link Gen#describedAs description}, see {@link HostileStrings#describe}).
 *
 * <p>The seed is random on each run. {@code -Dpgdock.fuzz.seed=<seed>} replays a failure: the same seed draws the same
 * values in the same order (run the one test method, {@code -Dtest=Class#method}, so that the database state it starts
 * from is the same).
 *
 * <p>Shrinking runs the property again for each smaller candidate, and each run of these properties goes to the
 * database; so shrinking stops trying new candidates {@value #SHRINK_BUDGET_SECONDS} seconds after the first failure
 * and reports the smallest failing value found so far. That deadline only bounds the effort; no test checks time.
 *
 * <p>Stateless; thread-safe.
 */
final class Fuzz {
    /** The system property that fixes the seed, to replay a failure. */
    static final String SEED_PROPERTY = "pgdock.fuzz.seed";

    /** How long shrinking may go on after the first failure. */
    static final int SHRINK_BUDGET_SECONDS = 30;

    /** Shrink steps at most (QuickTheories' default, 100,000, is far too many for tries that reach a database). */
    private static final int SHRINK_CYCLES = 2_000;

    /** Draws a generator may reject (a filter such as "at most 40 characters") before it gives up on one try. */
    private static final int GENERATE_ATTEMPTS = 100;

    private Fuzz() {
    }

    /** The body of a property: returns normally if it holds for the value, throws (an assertion) if not. */
    @FunctionalInterface
    interface Property<T> {
        void check(T value) throws Exception;
    }

    /**
     * Checks a property over {@code tries} values of a generator (QuickTheories skips a draw it has already tried, so a
     * few fewer may run). On failure, throws an {@link AssertionError} naming the property, the seed and the shrunk
     * value, with the failure of the shrunk value as its cause.
     *
     * @param name the property's name, as in the failure message
     * @param tries how many values to draw
     * @param values the generator, described so that its values print escaped
     * @param property the check
     * @param <T> the type of the values
     */
    static <T> void check(String name, int tries, Gen<T> values, Property<T> property) {
        long seed = seed();
        Shrinking shrinking = new Shrinking();
        QuickTheory.qt()
                .withFixedSeed(seed)
                .withExamples(tries)
                .withShrinkCycles(SHRINK_CYCLES)
                .withGenerateAttempts(GENERATE_ATTEMPTS)
                .withReporter(new FailureReporter(name, tries, seed))
                .forAll(values)
                .checkAssert(value -> {
                    if (shrinking.overBudget()) {
                        return; // stop shrinking: the candidate counts as passing, the smallest failure stays
                    }
                    try {
                        property.check(value);
                    } catch (RuntimeException | Error e) {
                        shrinking.failed();
                        throw e;
                    } catch (Exception e) {
                        shrinking.failed();
                        throw new IllegalStateException(e.toString(), e);
                    }
                });
    }

    /** The seed of {@link #SEED_PROPERTY}, or a random one (never 0, which QuickTheories' generator cannot use). */
    private static long seed() {
        String fixed = System.getProperty(SEED_PROPERTY, "").strip();
        if (!fixed.isEmpty()) {
            try {
                return Long.parseLong(fixed);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("-D" + SEED_PROPERTY + " must be a long, but was \"" + fixed + "\"",
                        e);
            }
        }
        long seed;
        do {
            seed = ThreadLocalRandom.current().nextLong();
        } while (seed == 0);
        return seed;
    }

    /** The time of the first failure of one run; confined to the thread that runs the property. */
    private static final class Shrinking {
        private long firstFailure;
        private boolean failed;

        void failed() {
            if (!failed) {
                failed = true;
                firstFailure = System.nanoTime();
            }
        }

        boolean overBudget() {
            return failed && System.nanoTime() - firstFailure > SHRINK_BUDGET_SECONDS * 1_000_000_000L;
        }
    }

    /** Turns QuickTheories' report of a failure into an AssertionError with the seed and the escaped shrunk value. */
    private record FailureReporter(String name, int tries, long seed) implements Reporter {
        @Override
        public void falisification(long usedSeed, int examples, Object smallest, Throwable cause,
                List<Object> falsifying, AsString<Object> describe) {
            throw new AssertionError(message(usedSeed, examples, smallest, cause, falsifying, describe), cause);
        }

        @Override
        public void falisification(long usedSeed, int examples, Object smallest, List<Object> falsifying,
                AsString<Object> describe) {
            throw new AssertionError(message(usedSeed, examples, smallest, null, falsifying, describe));
        }

        @Override
        public void valuesExhausted(int examples) {
            throw new IllegalStateException("property " + name + ": the generator gave up after " + examples + " of "
                    + tries + " tries (its filter rejected too many values); seed " + seed);
        }

        private String message(long usedSeed, int examples, Object smallest, Throwable cause, List<Object> falsifying,
                AsString<Object> describe) {
            StringBuilder m = new StringBuilder();
            m.append("property ").append(name).append(" falsified after ").append(examples).append(" of ").append(tries)
                    .append(" tries; seed ").append(usedSeed).append(" (replay with -D").append(SEED_PROPERTY)
                    .append('=').append(usedSeed).append(')');
            m.append("\n  shrunk value: ").append(describe.asString(smallest));
            if (cause != null) {
                // The message of an assertion about a hostile value quotes it raw: escape it, line by line.
                String reason = cause.getMessage() == null ? "" : cause.getMessage().strip();
                m.append("\n  its failure: ").append(cause.getClass().getName());
                reason.lines().limit(20).forEach(line -> m.append("\n    ")
                        .append(HostileStrings.printable(HostileStrings.abbreviate(line, 300))));
            }
            // QuickTheories lists the smallest first and the value first found last.
            if (falsifying.size() > 1) {
                m.append("\n  first failing value: ").append(describe.asString(falsifying.get(falsifying.size() - 1)))
                        .append(" (").append(falsifying.size() - 1).append(" shrink steps)");
            }
            return m.toString();
        }
    }
}
