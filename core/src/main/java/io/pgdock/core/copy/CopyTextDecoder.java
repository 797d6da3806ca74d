package io.pgdock.core.copy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Decodes PostgreSQL's COPY text format (UTF-8) into rows of strings, SQL NULL becoming {@code null}. Not API.
 *
 * <p>Input arrives in chunks of any size ({@link #accept}); rows are handed to the callback as soon as their newline has
 * been seen, so memory use is bounded by the longest row, not by the result. PostgreSQL sends one CopyData message per
 * row, and in that case no bytes are copied except to undo escapes.
 *
 * <p>A raw newline byte always ends a row: inside values newlines are escaped, and no byte of a multi-byte UTF-8
 * character is below 0x80. Escapes are those PostgreSQL reads ({@code CopyReadAttributesText}): {@code \b \f \n \r \t
 * \v}, up to three octal digits, {@code \x} and one or two hex digits, and a backslash before any other character
 * meaning that character. A field that is exactly {@code \N} is NULL; a line that is exactly {@code \.} ends the data.
 *
 * <p>Not thread-safe: one instance serves one COPY.
 */
final class CopyTextDecoder<X extends Exception> {
    private final BulkTransfer.RowCallback<X> callback;
    private byte[] pending = new byte[0];
    private int pendingLength;
    private byte[] scratch = new byte[256];
    private int width = 8;
    private long rows;
    private boolean ended;

    CopyTextDecoder(BulkTransfer.RowCallback<X> callback) {
        this.callback = callback;
    }

    /** The number of rows handed to the callback so far. */
    long rowCount() {
        return rows;
    }

    /**
     * Decodes a chunk, calling the callback for every row it completes.
     *
     * @throws IllegalArgumentException if the data is not valid text format
     * @throws X whatever the callback throws
     */
    void accept(byte[] data, int offset, int length) throws X {
        int end = offset + length;
        int start = offset;
        if (pendingLength > 0) {
            int newline = indexOfNewline(data, start, end);
            if (newline < 0) {
                append(data, start, end);
                return;
            }
            append(data, start, newline);
            int lineLength = pendingLength;
            pendingLength = 0;
            line(pending, 0, lineLength);
            start = newline + 1;
        }
        while (start < end) {
            int newline = indexOfNewline(data, start, end);
            if (newline < 0) {
                append(data, start, end);
                return;
            }
            line(data, start, newline);
            start = newline + 1;
        }
    }

    /**
     * Checks that the data ended at a row boundary.
     *
     * @throws IllegalArgumentException if the last row has no newline
     */
    void finish() {
        if (pendingLength > 0) {
            throw new IllegalArgumentException("COPY data ended in the middle of a row (" + pendingLength
                    + " bytes after the last newline)");
        }
    }

    private void append(byte[] data, int from, int to) {
        int length = to - from;
        if (pendingLength + length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + length));
        }
        System.arraycopy(data, from, pending, pendingLength, length);
        pendingLength += length;
    }

    private static int indexOfNewline(byte[] data, int from, int to) {
        for (int i = from; i < to; i++) {
            if (data[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** Decodes the line {@code data[from, to)} (without its newline) and hands it to the callback. */
    private void line(byte[] data, int from, int to) throws X {
        if (ended) {
            throw new IllegalArgumentException("COPY data continues after the end-of-data marker \\.");
        }
        if (to - from == 2 && data[from] == '\\' && data[from + 1] == '.') {
            ended = true;
            return;
        }
        List<@Nullable String> row = new ArrayList<>(width);
        int fieldStart = from;
        while (true) {
            int i = fieldStart;
            boolean escaped = false;
            while (i < to && data[i] != '\t') {
                if (data[i] == '\\') {
                    escaped = true;
                    i += 2;
                } else {
                    i++;
                }
            }
            if (i > to) {
                throw new IllegalArgumentException("COPY data row " + (rows + 1) + " ends with a lone backslash");
            }
            row.add(escaped ? unescape(data, fieldStart, i) : new String(data, fieldStart, i - fieldStart,
                    StandardCharsets.UTF_8));
            if (i == to) {
                break;
            }
            fieldStart = i + 1;
        }
        width = row.size();
        rows++;
        callback.accept(Collections.unmodifiableList(row));
    }

    /** A field with at least one backslash: NULL if it is exactly {@code \N}, otherwise its escapes undone. */
    private @Nullable String unescape(byte[] data, int from, int to) {
        if (to - from == 2 && data[from + 1] == 'N') {
            return null;
        }
        if (scratch.length < to - from) {
            scratch = new byte[Math.max(scratch.length * 2, to - from)];
        }
        byte[] out = scratch;
        int n = 0;
        int i = from;
        while (i < to) {
            byte b = data[i++];
            if (b != '\\') {
                out[n++] = b;
                continue;
            }
            byte c = data[i++];
            switch (c) {
                case 'b' -> out[n++] = '\b';
                case 'f' -> out[n++] = '\f';
                case 'n' -> out[n++] = '\n';
                case 'r' -> out[n++] = '\r';
                case 't' -> out[n++] = '\t';
                case 'v' -> out[n++] = 0x0b;
                case '0', '1', '2', '3', '4', '5', '6', '7' -> {
                    int value = c - '0';
                    for (int digits = 1; digits < 3 && i < to && data[i] >= '0' && data[i] <= '7'; digits++) {
                        value = value * 8 + (data[i++] - '0');
                    }
                    out[n++] = (byte) value;
                }
                case 'x' -> {
                    int value = i < to ? hexValue(data[i]) : -1;
                    if (value < 0) {
                        out[n++] = 'x';
                    } else {
                        i++;
                        int second = i < to ? hexValue(data[i]) : -1;
                        if (second >= 0) {
                            value = value * 16 + second;
                            i++;
                        }
                        out[n++] = (byte) value;
                    }
                }
                default -> out[n++] = c;
            }
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }

    private static int hexValue(byte b) {
        if (b >= '0' && b <= '9') {
            return b - '0';
        }
        if (b >= 'a' && b <= 'f') {
            return b - 'a' + 10;
        }
        if (b >= 'A' && b <= 'F') {
            return b - 'A' + 10;
        }
        return -1;
    }
}
