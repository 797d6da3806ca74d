package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The contract's tests of history retention: {@link HistoryRetention} by count and by age. Tests that need time to
 * pass use {@link #clock()} and {@link #elapse(java.time.Duration)}.
 *
 * <p>{@link ConfigStoreContract} runs them as its nested class {@code Retention}, on the stores its subclass makes
 * ({@link #fixture()}). Instances are made by JUnit, one per test; not thread-safe.
 */
public abstract class RetentionContract extends ConfigStoreTester {
    @Test
    void retentionByCountKeepsTheLatestChangesAndTheCurrentValue() {
        ConfigStore store = newStore(ConfigOptions.builder().retention(HistoryRetention.latest(3)).build());
        for (int i = 1; i <= 5; i++) {
            store.put("ingest.batch_size", i);
        }
        store.put("ingest.other", 1);

        assertThat(store.history("ingest.batch_size")).extracting(ConfigChange::version)
                .as("versions kept by latest(3)").containsExactly(5L, 4L, 3L);
        assertThat(store.history("ingest.other")).as("another key's history").hasSize(1);
        assertUnchanged(store, "ingest.batch_size", 5, "5");
        assertThatThrownBy(() -> store.rollback("ingest.batch_size", 2))
                .as("rollback to a version retention removed")
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ingest.batch_size");
        assertThat(store.rollback("ingest.batch_size", 3).value().intValue()).isEqualTo(3);
        assertThat(store.history("ingest.batch_size")).extracting(ConfigChange::version).containsExactly(6L, 5L, 4L);
    }

    @Test
    void retentionByAgeDropsOlderChangesWhenTheKeyIsWritten() {
        ConfigStore store = newStore(ConfigOptions.builder().clock(clock())
                .retention(HistoryRetention.within(Duration.ofHours(1))).build());
        store.put("ingest.batch_size", 1);
        store.put("ingest.batch_size", 2);

        elapse(Duration.ofMinutes(30));
        store.put("ingest.batch_size", 3);
        assertThat(store.history("ingest.batch_size")).extracting(ConfigChange::version)
                .as("changes younger than an hour").containsExactly(3L, 2L, 1L);

        elapse(Duration.ofDays(2));
        assertThat(store.history("ingest.batch_size")).as("history is trimmed by writes, not by reads").hasSize(3);
        store.put("ingest.batch_size", 4);
        assertThat(store.history("ingest.batch_size")).extracting(ConfigChange::version)
                .as("after two days and a write").containsExactly(4L);
        assertUnchanged(store, "ingest.batch_size", 4, "4");

        elapse(Duration.ofDays(30));
        assertThat(store.get("ingest.batch_size", Integer.class)).as("the current value never expires").contains(4);
    }
}
