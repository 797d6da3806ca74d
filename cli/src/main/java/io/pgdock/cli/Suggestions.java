package io.pgdock.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The names closest to a mistyped one, for "did you mean" hints: the one name the word starts, if only one does
 * (three letters at least: {@code hist} for {@code history}); else by edit distance (insertions, deletions,
 * substitutions and swaps of two neighbours, ignoring case), within one edit for words of up to four letters and two
 * for longer ones.
 *
 * <p><b>Thread safety.</b> Stateless.
 */
final class Suggestions {

    private Suggestions() {
    }

    /**
     * The names closest to {@code word}, in their given order: the one it starts, else all those at the smallest
     * distance within the limit; empty when none is close.
     */
    static List<String> closest(String word, List<String> names) {
        String w = word.toLowerCase(Locale.ROOT);
        if (w.length() >= 3) {
            List<String> started = names.stream().filter(n -> n.toLowerCase(Locale.ROOT).startsWith(w)).toList();
            if (started.size() == 1) {
                return started;
            }
        }
        int limit = w.length() <= 4 ? 1 : 2;
        int best = Integer.MAX_VALUE;
        List<String> found = new ArrayList<>();
        for (String name : names) {
            int d = distance(w, name.toLowerCase(Locale.ROOT));
            if (d > limit || d > best) {
                continue;
            }
            if (d < best) {
                best = d;
                found.clear();
            }
            found.add(name);
        }
        return found;
    }

    /** The optimal string alignment distance: Levenshtein's, with a swap of two neighbours counted as one edit. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
