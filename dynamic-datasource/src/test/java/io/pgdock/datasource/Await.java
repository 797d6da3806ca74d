package io.pgdock.datasource;

import java.time.Duration;
import java.util.concurrent.Callable;

/** Waits for a condition with a deadline: the way tests here wait, never a bare sleep. */
final class Await {
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    private Await() {
    }

    static void until(String what, Callable<Boolean> condition) {
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (true) {
            try {
                if (condition.call()) {
                    return;
                }
            } catch (Exception e) {
                throw new AssertionError("while waiting until " + what, e);
            }
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("not true within " + DEADLINE + ": " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting until " + what, e);
            }
        }
    }
}
