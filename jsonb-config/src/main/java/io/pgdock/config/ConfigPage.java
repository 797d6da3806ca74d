package io.pgdock.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One page of {@link ConfigStore#list(String, String, int)}: entries in key order, and the key to continue after.
 *
 * @param entries the entries of this page, in key order
 * @param nextAfter the last key of this page when more may follow, else null
 */
public record ConfigPage(List<ConfigEntry> entries, @Nullable String nextAfter) {
    /**
     * Copies the list.
     *
     * @param entries the entries of this page, in key order
     * @param nextAfter the last key of this page when more may follow, else null
     * @throws NullPointerException if the list is null
     */
    public ConfigPage {
        entries = List.copyOf(Objects.requireNonNull(entries, "entries"));
    }

    /**
     * Where the next page starts.
     *
     * @return the key to pass as {@code afterKey} for the next page, or empty when this is the last page
     */
    public Optional<String> next() {
        return Optional.ofNullable(nextAfter);
    }
}
