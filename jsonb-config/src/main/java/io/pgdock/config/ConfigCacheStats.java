package io.pgdock.config;

/**
 * Counters of a cached store's read cache (see {@link ConfigOptions.Builder#cache(int)}), since it was created.
 *
 * @param hits reads answered from the cache
 * @param misses reads that went to the database (including reads while notifications were lost)
 * @param size entries held now (one per key, holding that key's entries in the scopes read so far)
 * @param evictions entries dropped to stay within the bound
 * @param invalidations entries dropped because a change was notified (or all of them, counted once, after a gap)
 */
public record ConfigCacheStats(long hits, long misses, long size, long evictions, long invalidations) {
    /** @return hits divided by reads, 0 when there were none */
    public double hitRate() {
        long reads = hits + misses;
        return reads == 0 ? 0 : (double) hits / reads;
    }
}
