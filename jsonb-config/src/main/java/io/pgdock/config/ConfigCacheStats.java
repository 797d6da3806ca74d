package io.pgdock.config;

/**
 * Counters of a cached store's read cache (see {@link ConfigOptions.Builder#cache(int)}), since it was created, and
 * whether it serves from memory now.
 *
 * <p><b>Reading through.</b> The cache answers from memory only while change notifications flow. While its listening
 * connection is missing (it could not be opened) or dead (its backend was terminated, the server restarted, the network
 * broke), every read goes to the database: {@link #readingThrough()} is {@code true} and {@link #readsThrough()} counts
 * those reads, until the connection is back and the missed changes have been replayed. The log says so on both edges
 * (a warning when it starts reading through, an info line when it serves from memory again).
 *
 * @param hits reads answered from the cache
 * @param misses reads that went to the database (including reads while notifications were lost)
 * @param size entries held now (one per key, holding that key's entries in the scopes read so far)
 * @param evictions entries dropped to stay within the bound
 * @param invalidations entries dropped because a change was notified (or all of them, counted once, after a gap)
 * @param readingThrough whether the cache is not serving from memory now, because its listening connection is missing
 *     or dead
 * @param readsThrough reads that went to the database because the cache was reading through (part of {@code misses})
 */
public record ConfigCacheStats(long hits, long misses, long size, long evictions, long invalidations,
        boolean readingThrough, long readsThrough) {

    /**
     * Counters of a cache that serves from memory and never read through.
     *
     * @param hits reads answered from the cache
     * @param misses reads that went to the database
     * @param size entries held now
     * @param evictions entries dropped to stay within the bound
     * @param invalidations entries dropped because a change was notified
     */
    public ConfigCacheStats(long hits, long misses, long size, long evictions, long invalidations) {
        this(hits, misses, size, evictions, invalidations, false, 0);
    }

    /** @return hits divided by reads, 0 when there were none */
    public double hitRate() {
        long reads = hits + misses;
        return reads == 0 ? 0 : (double) hits / reads;
    }
}
